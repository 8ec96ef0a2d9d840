/* tests/faults.bats: guests/lib/faults.S, case 3. */
#define FAULTS_CASE 3
#include "lib/faults.S"
