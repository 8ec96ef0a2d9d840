/* tests/faults.bats: guests/lib/faults.S, case 2. */
#define FAULTS_CASE 2
#include "lib/faults.S"
