#include "terminals/modes.hpp"

#include <charconv>
#include <cstring>

namespace ailab::terminals {
namespace {

constexpr char escape = '\x1b';
constexpr char bell = '\x07';
constexpr std::size_t max_csi_bytes = 64;   // longer CSI parameters are not modes we track
constexpr std::size_t max_osc_bytes = 512;  // titles are cut here

}  // namespace

std::string TerminalModes::restore_sequence() const {
    std::string out;
    if (alternate_screen) out += "\x1b[?1049h";
    if (application_cursor) out += "\x1b[?1h";
    if (application_keypad) out += "\x1b=";
    if (autowrap_off) out += "\x1b[?7l";
    if (mouse_tracking != 0) out += "\x1b[?" + std::to_string(mouse_tracking) + "h";
    if (mouse_encoding != 0) out += "\x1b[?" + std::to_string(mouse_encoding) + "h";
    if (focus_events) out += "\x1b[?1004h";
    if (bracketed_paste) out += "\x1b[?2004h";
    if (cursor_hidden) out += "\x1b[?25l";
    return out;
}

void ModeScanner::feed(std::string_view bytes) {
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        if (state_ == State::ground) {
            // Plain text changes no mode: skip to the next ESC at memchr's speed.
            const void* found = std::memchr(bytes.data() + at, escape, bytes.size() - at);
            if (found == nullptr) return;
            at = static_cast<std::size_t>(static_cast<const char*>(found) - bytes.data());
            state_ = State::escape;
            continue;
        }
        const char byte = bytes[at];
        switch (state_) {
        case State::ground:
            if (byte == escape) state_ = State::escape;
            break;
        case State::escape:
            sequence_.clear();
            switch (byte) {
            case '[': state_ = State::csi; break;
            case ']': state_ = State::osc; break;
            case 'P':
            case 'X':
            case '^':
            case '_': state_ = State::string; break;
            case '=':
                modes_.application_keypad = true;
                state_ = State::ground;
                break;
            case '>':
                modes_.application_keypad = false;
                state_ = State::ground;
                break;
            case 'c':
                modes_ = TerminalModes{};
                state_ = State::ground;
                break;  // RIS: full reset
            case escape: break;
            default: state_ = State::ground; break;  // other two-byte sequences change no tracked mode
            }
            break;
        case State::csi:
            if (byte >= 0x40 && byte <= 0x7e) {
                finish_csi(byte);
                state_ = State::ground;
            } else if (byte == escape) {
                state_ = State::escape;  // a sequence cut short by a new one
            } else if (sequence_.size() < max_csi_bytes) {
                sequence_.push_back(byte);
            }
            break;
        case State::osc:
            if (byte == bell || byte == escape) {
                // BEL or ST (ESC \) ends it; an ESC that starts anything else ends it too, as in
                // xterm, and the sequence after it counts.
                finish_osc();
                state_ = byte == escape ? State::escape : State::ground;
            } else if (sequence_.size() < max_osc_bytes) {
                sequence_.push_back(byte);
            }
            break;
        case State::string:
            // DCS, SOS, PM, APC: skipped up to BEL or ESC (ST, or the start of another sequence).
            if (byte == escape)
                state_ = State::escape;
            else if (byte == bell)
                state_ = State::ground;
            break;
        }
    }
}

void ModeScanner::finish_csi(char final_byte) {
    if ((final_byte != 'h' && final_byte != 'l') || sequence_.empty() || sequence_.front() != '?') return;
    const bool on = final_byte == 'h';
    std::string_view parameters(sequence_);
    parameters.remove_prefix(1);
    while (!parameters.empty()) {
        const auto end = parameters.find(';');
        const auto text = parameters.substr(0, end);
        int mode = 0;
        auto parsed = std::from_chars(text.data(), text.data() + text.size(), mode);
        if (parsed.ec == std::errc() && parsed.ptr == text.data() + text.size()) set_private_mode(mode, on);
        if (end == std::string_view::npos) break;
        parameters.remove_prefix(end + 1);
    }
}

void ModeScanner::set_private_mode(int mode, bool on) {
    switch (mode) {
    case 1: modes_.application_cursor = on; break;
    case 7: modes_.autowrap_off = !on; break;
    case 25: modes_.cursor_hidden = !on; break;
    case 47:
    case 1047:
    case 1049: modes_.alternate_screen = on; break;
    case 9:
    case 1000:
    case 1002:
    case 1003:
        if (on)
            modes_.mouse_tracking = mode;
        else if (modes_.mouse_tracking == mode)
            modes_.mouse_tracking = 0;
        break;
    case 1005:
    case 1006:
    case 1015:
        if (on)
            modes_.mouse_encoding = mode;
        else if (modes_.mouse_encoding == mode)
            modes_.mouse_encoding = 0;
        break;
    case 1004: modes_.focus_events = on; break;
    case 2004: modes_.bracketed_paste = on; break;
    default: break;
    }
}

void ModeScanner::finish_osc() {
    // "0;title" or "2;title" set the title; other OSCs (colours, hyperlinks, cwd) are left alone.
    if (sequence_.size() >= 2 && (sequence_[0] == '0' || sequence_[0] == '2') && sequence_[1] == ';')
        modes_.title = sequence_.substr(2);
}

}  // namespace ailab::terminals
