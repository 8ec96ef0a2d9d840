/* tests/faults.bats: guests/lib/faults.S, case 1. */
#define FAULTS_CASE 1
#include "lib/faults.S"
