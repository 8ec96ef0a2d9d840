/* tests/faults.bats: guests/lib/faults.S, case 5. */
#define FAULTS_CASE 5
#include "lib/faults.S"
