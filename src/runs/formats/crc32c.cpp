#include "runs/formats/crc32c.hpp"
#include "runs/formats/little_endian.hpp"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ailab::runs::formats {
namespace {

constexpr std::uint32_t polynomial = 0x82f63b78u;  // CRC-32C, reflected

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][n] is the checksum register after n
// was fed in followed by k zero bytes, which lets the software loop take 8 bytes per step.
constexpr Tables make_slicing_tables() {
    Tables tables{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t crc = n;
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ polynomial : crc >> 1;
        tables[0][n] = crc;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t n = 0; n < 256; ++n)
            tables[k][n] = (tables[k - 1][n] >> 8) ^ tables[0][tables[k - 1][n] & 0xff];
    return tables;
}

constexpr Tables slicing_tables = make_slicing_tables();

inline std::uint64_t load_le64(const unsigned char* bytes) { return load_le<std::uint64_t>(bytes); }

#if defined(__x86_64__)

// Matrices over GF(2) of 32 rows: the linear map "append some zero bytes" on the checksum
// register, used to join the checksums of the three streams of the hardware loop (Mark Adler's
// construction, crc32c.c, 2013).
using Matrix = std::array<std::uint32_t, 32>;

constexpr std::uint32_t matrix_times(const Matrix& matrix, std::uint32_t vector) {
    std::uint32_t sum = 0;
    for (std::size_t row = 0; vector != 0; ++row, vector >>= 1)
        if (vector & 1) sum ^= matrix[row];
    return sum;
}

constexpr Matrix matrix_square(const Matrix& matrix) {
    Matrix square{};
    for (std::size_t row = 0; row < 32; ++row) square[row] = matrix_times(matrix, matrix[row]);
    return square;
}

// The operator that appends `length` zero bytes (a power of two) to the register.
constexpr Matrix zeros_operator(std::size_t length) {
    Matrix odd{};  // one zero bit
    odd[0] = polynomial;
    std::uint32_t row = 1;
    for (std::size_t n = 1; n < 32; ++n, row <<= 1) odd[n] = row;
    Matrix even = matrix_square(odd);  // two zero bits
    odd = matrix_square(even);         // four zero bits
    do {
        even = matrix_square(odd);  // first pass: one zero byte
        length >>= 1;
        if (length == 0) return even;
        odd = matrix_square(even);
        length >>= 1;
    } while (length != 0);
    return odd;
}

using ShiftTables = std::array<std::array<std::uint32_t, 256>, 4>;

constexpr ShiftTables make_shift_tables(std::size_t length) {
    const Matrix shift = zeros_operator(length);
    ShiftTables tables{};
    for (std::uint32_t n = 0; n < 256; ++n)
        for (std::size_t k = 0; k < 4; ++k) tables[k][n] = matrix_times(shift, n << (8 * k));
    return tables;
}

// Stream lengths of the three-way loop (powers of two): the crc32 instruction has a latency of
// three cycles and a throughput of one per cycle, so three independent streams keep it busy.
constexpr std::size_t long_block = 8192;
constexpr std::size_t short_block = 256;
constexpr ShiftTables long_shift = make_shift_tables(long_block);
constexpr ShiftTables short_shift = make_shift_tables(short_block);

inline std::uint32_t shift(const ShiftTables& tables, std::uint32_t crc) {
    return tables[0][crc & 0xff] ^ tables[1][(crc >> 8) & 0xff] ^ tables[2][(crc >> 16) & 0xff] ^ tables[3][crc >> 24];
}

// Feeds `count` blocks of three streams of `block` bytes each; returns the register.
__attribute__((target("sse4.2"))) inline std::uint64_t three_streams(const unsigned char*& next, std::size_t& size,
                                                                     std::uint64_t crc0, std::size_t block,
                                                                     const ShiftTables& tables) {
    while (size >= 3 * block) {
        std::uint64_t crc1 = 0;
        std::uint64_t crc2 = 0;
        const unsigned char* end = next + block;
        do {
            crc0 = _mm_crc32_u64(crc0, load_le64(next));
            crc1 = _mm_crc32_u64(crc1, load_le64(next + block));
            crc2 = _mm_crc32_u64(crc2, load_le64(next + 2 * block));
            next += 8;
        } while (next < end);
        crc0 = shift(tables, static_cast<std::uint32_t>(crc0)) ^ crc1;
        crc0 = shift(tables, static_cast<std::uint32_t>(crc0)) ^ crc2;
        next += 2 * block;
        size -= 3 * block;
    }
    return crc0;
}

#endif

}  // namespace

std::uint32_t crc32c_software(const void* data, std::size_t size, std::uint32_t crc) {
    const auto* next = static_cast<const unsigned char*>(data);
    const Tables& t = slicing_tables;
    crc = ~crc;
    while (size >= 8) {
        const std::uint64_t word = load_le64(next) ^ crc;
        crc = t[7][word & 0xff] ^ t[6][(word >> 8) & 0xff] ^ t[5][(word >> 16) & 0xff] ^ t[4][(word >> 24) & 0xff] ^
              t[3][(word >> 32) & 0xff] ^ t[2][(word >> 40) & 0xff] ^ t[1][(word >> 48) & 0xff] ^ t[0][word >> 56];
        next += 8;
        size -= 8;
    }
    while (size-- > 0) crc = t[0][(crc ^ *next++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)

__attribute__((target("sse4.2"))) std::uint32_t crc32c_hardware(const void* data, std::size_t size, std::uint32_t crc) {
    const auto* next = static_cast<const unsigned char*>(data);
    std::uint64_t crc0 = ~crc;
    if (size >= 3 * short_block) {
        crc0 = three_streams(next, size, crc0, long_block, long_shift);
        crc0 = three_streams(next, size, crc0, short_block, short_shift);
    }
    while (size >= 8) {
        crc0 = _mm_crc32_u64(crc0, load_le64(next));
        next += 8;
        size -= 8;
    }
    auto crc32 = static_cast<std::uint32_t>(crc0);
    if (size >= 4) {
        std::uint32_t word;
        std::memcpy(&word, next, sizeof word);
        crc32 = _mm_crc32_u32(crc32, word);
        next += 4;
        size -= 4;
    }
    while (size-- > 0) crc32 = _mm_crc32_u8(crc32, *next++);
    return ~crc32;
}

bool hardware_crc32c_available() {
    static const bool available = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return available;
}

#else

std::uint32_t crc32c_hardware(const void* data, std::size_t size, std::uint32_t crc) {
    return crc32c_software(data, size, crc);
}

bool hardware_crc32c_available() { return false; }

#endif

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
    return hardware_crc32c_available() ? crc32c_hardware(data, size, crc) : crc32c_software(data, size, crc);
}

std::string_view crc32c_implementation() { return hardware_crc32c_available() ? "sse4.2" : "software"; }

}  // namespace ailab::runs::formats
