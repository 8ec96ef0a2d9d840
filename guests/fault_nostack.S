/* tests/faults.bats: guests/lib/faults.S, case 4. */
#define FAULTS_CASE 4
#include "lib/faults.S"
