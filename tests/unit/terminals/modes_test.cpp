#include "terminals/modes.hpp"

#include <gtest/gtest.h>

namespace ailab::terminals {
namespace {

TEST(ModeScanner, TracksFullScreenProgramModes) {
    ModeScanner scanner;
    // What vim sends when it starts: alternate screen, application cursor keys and keypad,
    // bracketed paste, SGR mouse, hidden cursor while drawing.
    scanner.feed("\x1b[?1049h\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?25l text \x1b[1;31m");
    const auto& modes = scanner.modes();
    EXPECT_TRUE(modes.alternate_screen);
    EXPECT_TRUE(modes.application_cursor);
    EXPECT_TRUE(modes.application_keypad);
    EXPECT_TRUE(modes.bracketed_paste);
    EXPECT_EQ(modes.mouse_tracking, 1002);
    EXPECT_EQ(modes.mouse_encoding, 1006);
    EXPECT_TRUE(modes.cursor_hidden);
    // And what it sends when it quits.
    scanner.feed("\x1b[?1049l\x1b[?1l\x1b>\x1b[?2004l\x1b[?1002l\x1b[?1006l\x1b[?25h");
    EXPECT_EQ(scanner.modes(), TerminalModes{});
    EXPECT_EQ(scanner.modes().restore_sequence(), "");
}

TEST(ModeScanner, SeesSequencesCutAtAnyByte) {
    // Bad input: every split point of a sequence across two feeds.
    const std::string stream =
        "ab\x1b[?1049;2004hcd\x1b]0;my title\x07"
        "ef";
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        ModeScanner scanner;
        scanner.feed(stream.substr(0, cut));
        scanner.feed(stream.substr(cut));
        EXPECT_TRUE(scanner.modes().alternate_screen) << cut;
        EXPECT_TRUE(scanner.modes().bracketed_paste) << cut;
        EXPECT_EQ(scanner.modes().title, "my title") << cut;
    }
}

TEST(ModeScanner, TitleEndsWithStAndOtherOscsAreIgnored) {
    ModeScanner scanner;
    scanner.feed("\x1b]2;htop\x1b\\");
    EXPECT_EQ(scanner.modes().title, "htop");
    scanner.feed("\x1b]7;file:///home\x07\x1b]8;;http://x\x07");  // cwd and hyperlink OSCs
    EXPECT_EQ(scanner.modes().title, "htop");
}

TEST(ModeScanner, IgnoresModesInsideStringsAndResetsOnRis) {
    ModeScanner scanner;
    // Bad input: a DCS string (sixel data) whose text looks like mode parameters.
    scanner.feed("\x1bPq#0;2;?1049h;?25l junk\x1b\\");
    EXPECT_EQ(scanner.modes(), TerminalModes{});
    // An ESC inside a string ends it, as in xterm: the sequence it starts counts.
    scanner.feed("\x1bPjunk\x1b[?2004h");
    EXPECT_TRUE(scanner.modes().bracketed_paste);
    scanner.feed("\x1b]0;half a title\x1b[?1049h");
    EXPECT_TRUE(scanner.modes().alternate_screen);
    EXPECT_EQ(scanner.modes().title, "half a title");
    scanner.feed(
        "\x1b"
        "c");
    EXPECT_EQ(scanner.modes(), TerminalModes{});
}

TEST(ModeScanner, RestoreSequenceReproducesTheModes) {
    ModeScanner original;
    original.feed("\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[?1000h\x1b[?1015h\x1b[?1004h\x1b[?1h\x1b=\x1b[?7l");
    ModeScanner fresh;
    fresh.feed(original.modes().restore_sequence());
    EXPECT_EQ(fresh.modes(), original.modes());
}

}  // namespace
}  // namespace ailab::terminals
