/*
 * Run control without time travel: this program is linked with every layer
 * below the front ends except src/debug/reverse.o and src/history.o
 * (GNUmakefile), so it links only if nothing of run control needs them:
 * reverse execution plugs in by hooks, and a build can leave it out.
 */
#include "../../src/debug.h"
#include "../../src/machine.h"
#include "unit.h"

int main(void)
{
	/* What a front end that only runs forward calls. */
	CHECK(machine_create != NULL);
	CHECK(debug_continue != NULL);
	CHECK(debug_step != NULL);
	CHECK(debug_run_to != NULL);
	CHECK(debug_wait_stop != NULL);
	CHECK(debug_icount_break != NULL);
	CHECK(debug_checkpoint != NULL && debug_restart != NULL);
	CHECK(machine_destroy != NULL);
	return unit_done();
}
