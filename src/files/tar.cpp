#include "files/tar.hpp"

#include <algorithm>
#include <cstring>

namespace ailab::files {
namespace {

// Field offsets and lengths of a ustar header.
struct Field {
    std::size_t offset;
    std::size_t length;
};
constexpr Field name_field{0, 100};
constexpr Field mode_field{100, 8};
constexpr Field uid_field{108, 8};
constexpr Field gid_field{116, 8};
constexpr Field size_field{124, 12};
constexpr Field mtime_field{136, 12};
constexpr Field checksum_field{148, 8};
constexpr std::size_t type_offset = 156;
constexpr Field link_field{157, 100};
constexpr Field magic_field{257, 6};
constexpr Field version_field{263, 2};
constexpr Field prefix_field{345, 155};

// Whether value fits an octal field of `length` bytes (length - 1 digits and a NUL).
bool fits_octal(std::uint64_t value, std::size_t length) {
    const unsigned digits = static_cast<unsigned>(length - 1);
    return digits >= 22 || value < (std::uint64_t{1} << (3 * digits));
}

void put_octal(char* block, Field field, std::uint64_t value) {
    // Zero-padded octal, NUL-terminated; values that do not fit were moved to pax records, so
    // what is written here is clamped (readers that know pax ignore it).
    const unsigned digits = static_cast<unsigned>(field.length - 1);
    if (!fits_octal(value, field.length)) value = (std::uint64_t{1} << (3 * digits)) - 1;
    for (std::size_t i = digits; i-- > 0;) {
        block[field.offset + i] = static_cast<char>('0' + (value & 7));
        value >>= 3;
    }
    block[field.offset + digits] = '\0';
}

void put_text(char* block, Field field, std::string_view text) {
    if (text.empty()) return;  // an empty view's data() may be null, which memcpy may not take
    std::memcpy(block + field.offset, text.data(), std::min(text.size(), field.length));
}

// Splits a path into ustar's prefix (≤ 155) and name (≤ 100) at a '/', or returns false.
bool split_ustar_path(std::string_view path, std::string_view& prefix, std::string_view& name) {
    if (path.size() <= name_field.length) {
        prefix = {};
        name = path;
        return true;
    }
    // The name part is what follows the chosen '/': look for a '/' that leaves both parts short.
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
        if (slash > prefix_field.length) break;
        const auto rest = path.size() - slash - 1;
        if (rest <= name_field.length && rest > 0) {
            prefix = path.substr(0, slash);
            name = path.substr(slash + 1);
            return true;
        }
    }
    return false;
}

// One pax record "<length> <key>=<value>\n", where length counts the whole record.
void append_pax_record(std::string& out, std::string_view key, std::string_view value) {
    const std::size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
    std::size_t length = body + 1;
    while (std::to_string(length).size() + body != length) length = std::to_string(length).size() + body;
    out += std::to_string(length);
    out += ' ';
    out += key;
    out += '=';
    out += value;
    out += '\n';
}

// Writes one header block for (path, type, size) into out, with the checksum.
void append_block(std::string& out, const TarEntry& entry, std::string_view prefix, std::string_view name, char type,
                  std::uint64_t size, std::string_view link) {
    const auto start = out.size();
    out.resize(start + tar_block_bytes, '\0');
    char* block = out.data() + start;
    put_text(block, name_field, name);
    put_octal(block, mode_field, entry.mode & 07777);
    put_octal(block, uid_field, fits_octal(entry.uid, uid_field.length) ? entry.uid : 0);
    put_octal(block, gid_field, fits_octal(entry.gid, gid_field.length) ? entry.gid : 0);
    put_octal(block, size_field, size);
    put_octal(block, mtime_field, static_cast<std::uint64_t>(std::max<std::int64_t>(entry.mtime, 0)));
    block[type_offset] = type;
    put_text(block, link_field, link);
    put_text(block, magic_field, std::string_view("ustar\0", 6));
    put_text(block, version_field, "00");
    put_text(block, prefix_field, prefix);
    // The checksum is the sum of the header's bytes with its own field read as spaces.
    std::memset(block + checksum_field.offset, ' ', checksum_field.length);
    unsigned sum = 0;
    for (std::size_t i = 0; i < tar_block_bytes; ++i) sum += static_cast<unsigned char>(block[i]);
    put_octal(block, Field{checksum_field.offset, 7}, sum);
    block[checksum_field.offset + 7] = ' ';
}

}  // namespace

std::size_t tar_padding(std::uint64_t size) {
    return static_cast<std::size_t>((tar_block_bytes - size % tar_block_bytes) % tar_block_bytes);
}

void append_tar_header(std::string& out, const TarEntry& entry) {
    std::string_view prefix;
    std::string_view name;
    std::string records;
    if (!split_ustar_path(entry.path, prefix, name)) {
        append_pax_record(records, "path", entry.path);
        prefix = {};
        name = std::string_view(entry.path).substr(0, name_field.length);
    }
    if (entry.link_target.size() > link_field.length) append_pax_record(records, "linkpath", entry.link_target);
    if (!fits_octal(entry.size, size_field.length)) append_pax_record(records, "size", std::to_string(entry.size));
    if (!fits_octal(entry.uid, uid_field.length)) append_pax_record(records, "uid", std::to_string(entry.uid));
    if (!fits_octal(entry.gid, gid_field.length)) append_pax_record(records, "gid", std::to_string(entry.gid));
    if (!records.empty()) {
        // The pax header's own name is informational; tar uses "PaxHeaders.0/<name>".
        std::string pax_name = "PaxHeaders/" + std::string(name);
        pax_name.resize(std::min(pax_name.size(), name_field.length));
        append_block(out, entry, {}, pax_name, 'x', records.size(), {});
        out += records;
        out.append(tar_padding(records.size()), '\0');
    }
    append_block(out, entry, prefix, name, static_cast<char>(entry.type), entry.type == TarType::file ? entry.size : 0,
                 std::string_view(entry.link_target).substr(0, link_field.length));
}

void append_tar_end(std::string& out) { out.append(2 * tar_block_bytes, '\0'); }

}  // namespace ailab::files
