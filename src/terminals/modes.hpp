#pragma once
// The terminal modes that a replay must restore (docs/API.md "Terminals", Replay), tracked by a
// small scanner of escape sequences fed with the output stream in any pieces: a sequence cut
// between two pieces is still seen. It understands ESC, CSI (ECMA-48 parameters with a private
// '?' marker), OSC (ended by BEL or ST) and skips DCS/SOS/PM/APC strings. Not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace ailab::terminals {

struct TerminalModes {
    bool alternate_screen = false;    // ?1049 / ?1047 / ?47
    bool cursor_hidden = false;       // ?25 reset
    bool bracketed_paste = false;     // ?2004
    int mouse_tracking = 0;           // 0, or the last mode set of ?9 ?1000 ?1002 ?1003
    int mouse_encoding = 0;           // 0, or ?1005 ?1006 ?1015
    bool focus_events = false;        // ?1004
    bool application_cursor = false;  // ?1 (DECCKM)
    bool application_keypad = false;  // ESC = / ESC >
    bool autowrap_off = false;        // ?7 reset
    std::string title;                // OSC 0 / OSC 2

    // The escape sequence that takes a fresh terminal to these modes ("" for a fresh terminal's).
    // The title is not in it (it goes as a title frame).
    std::string restore_sequence() const;
    bool operator==(const TerminalModes&) const = default;
};

class ModeScanner {
public:
    void feed(std::string_view bytes);
    const TerminalModes& modes() const { return modes_; }

private:
    enum class State : std::uint8_t { ground, escape, csi, osc, string };
    void finish_csi(char final_byte);
    void finish_osc();
    void set_private_mode(int mode, bool on);

    TerminalModes modes_;
    State state_ = State::ground;
    std::string sequence_;  // parameters of the CSI or the text of the OSC being read (bounded)
};

}  // namespace ailab::terminals
