#pragma once
// Asking the person at the terminal: prompts go to and answers come from /dev/tty, so they work
// while stdin and stdout are redirected (`ailab submit … > id.txt`).

#include <optional>
#include <string>
#include <string_view>

namespace ailab::client {

enum class Echo { on, off };

// Writes the prompt and reads one line (without its newline) from the controlling terminal; with
// Echo::off the typed characters are not shown (a password). Nothing when there is no terminal or
// it ends (Ctrl-D).
std::optional<std::string> ask_terminal(std::string_view prompt, Echo echo);

// One line of stdin, without its line end (--password-stdin). Nothing at a bare end of input.
std::optional<std::string> read_stdin_line();

}  // namespace ailab::client
