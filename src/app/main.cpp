// Command line only: parse, then hand over to the app library.
#include "app/commands.hpp"

int main(int argc, char** argv) { return ailab::app::main_command(argc, argv); }
