#include "console.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "../src/loader.h"
#include "commands.h"

#define CONSOLE_PROMPT "(kvmdbg) "
#define CONSOLE_HISTORY_LINES 1000

/* Readline's callbacks take no context: the console's state lives here. */
static struct {
	struct session *s;  /* what the commands act on */
	char history[4096]; /* history file, "" if none */
	char *last;         /* last command, repeated by an empty line (as gdb does) */
	int failures;       /* 1 if the last command failed (the session's exit status) */
	bool done;          /* quit or Ctrl-D */
} con;

/* $XDG_STATE_HOME/kvmdbg/history, else ~/.kvmdbg_history. */
static void console_history_path(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[3072];

	buf[0] = '\0';
	if (state && *state) {
		snprintf(dir, sizeof(dir), "%s/kvmdbg", state);
		mkdir(state, 0700);
		if (mkdir(dir, 0700) == 0 || errno == EEXIST)
			snprintf(buf, len, "%s/history", dir);
	} else if (home && *home) {
		snprintf(buf, len, "%s/.kvmdbg_history", home);
	}
}

static char *console_generator(const char *text, int state)
{
	return commands_complete(con.s, rl_line_buffer, rl_point - (int)strlen(text), text, state);
}

static char **console_completion(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	return rl_completion_matches(text, console_generator);
}

/* Leaving from inside the line handler: otherwise readline shows a new prompt. */
static void console_finish(void)
{
	con.done = true;
	rl_callback_handler_remove();
}

static void console_execute(const char *line)
{
	/* As gdb: an earlier mistake, corrected, does not fail the session. */
	con.failures = commands_execute(con.s, line, stdout) < 0;
	fflush(stdout);
	if (con.s->quit)
		console_finish();
}

static void console_line(char *line)
{
	if (!line) {
		/* Ctrl-D */
		fputs("quit\n", stdout);
		con.failures = 0;
		console_finish();
		return;
	}
	if (*line) {
		add_history(line);
		if (con.history[0])
			write_history(con.history);
		free(con.last);
		con.last = strdup(line);
		console_execute(line);
	} else if (con.last) {
		console_execute(con.last);
	}
	free(line);
}

/* Prints a stop report above the prompt, keeping what the user has typed so far. */
void console_show_stop(const struct debug_stop *stop)
{
	char *typed = rl_copy_text(0, rl_end);
	int point = rl_point;

	rl_set_prompt("");
	rl_replace_line("", 0);
	rl_redisplay();
	commands_report_stop(con.s, stop, stdout);
	fflush(stdout);
	rl_set_prompt(CONSOLE_PROMPT);
	rl_replace_line(typed ? typed : "", 0);
	rl_point = point;
	rl_redisplay();
	free(typed);
}

/* Ctrl-C at the prompt throws away the line, as in a shell. */
void console_sigint(void)
{
	fputs("^C\n", stdout);
	rl_replace_line("", 0);
	rl_on_new_line();
	rl_redisplay();
}

void console_start(struct session *s)
{
	struct debug_stop here = { .reason = DEBUG_STOP_STEPPED };

	con.s = s;
	con.failures = 0;
	con.done = false;
	printf("kvmdbg %s: %s stopped; 'help' lists the commands\n", KVMDBG_VERSION, s->img->name);
	commands_report_stop(s, &here, stdout);
	fflush(stdout);
	console_history_path(con.history, sizeof(con.history));
	using_history();
	stifle_history(CONSOLE_HISTORY_LINES);
	if (con.history[0])
		read_history(con.history);
	rl_catch_signals = 0;
	rl_catch_sigwinch = 1;
	rl_readline_name = "kvmdbg";
	rl_attempted_completion_function = console_completion;
	rl_callback_handler_install(CONSOLE_PROMPT, console_line);
}

void console_input(void)
{
	rl_callback_read_char();
}

bool console_done(void)
{
	return con.done;
}

int console_end(void)
{
	if (!con.done)
		console_finish();
	free(con.last);
	con.last = NULL;
	return con.failures;
}

int console_run_stream(struct session *s, FILE *in, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int failures = 0;

	s->async = false;
	/* A signal that stopped the guest ends a script too. */
	while (!s->quit && !s->interrupted && getline(&line, &cap, in) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (commands_execute(s, line, stdout) < 0) {
			failures++;
			fprintf(stdout, "(%s, line %u: %s)\n", name, lineno, line);
		}
		fflush(stdout);
	}
	free(line);
	return failures;
}
