#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), as TFRecord files checksum their frames,
// and the masking TFRecord applies to the stored checksums.
//
// Every function takes `crc`, the result of an earlier call, to continue a checksum over
// adjacent pieces: crc32c(ab) == crc32c(b, crc32c(a)); 0 starts a new one. crc32c() picks the
// SSE4.2 instruction when the processor has it (looked up once) and the table-driven software
// version otherwise; both give the same results.
//
// Pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ailab::runs::formats {

// The fastest implementation this processor has.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

// Slicing-by-8 tables; any processor.
std::uint32_t crc32c_software(const void* data, std::size_t size, std::uint32_t crc = 0);

// The SSE4.2 crc32 instruction, three interleaved streams on long inputs. Call it only when
// hardware_crc32c_available() (it falls back to the software version where the code is not built
// for x86-64).
std::uint32_t crc32c_hardware(const void* data, std::size_t size, std::uint32_t crc = 0);

// Whether this processor has SSE4.2 (always false off x86-64).
bool hardware_crc32c_available();

// The implementation crc32c() uses: "sse4.2" or "software".
std::string_view crc32c_implementation();

// TFRecord stores masked checksums (a checksum of data that holds checksums is then less likely
// to be degenerate): rotated right by 15 bits plus a constant. unmask_crc undoes it.
constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
constexpr std::uint32_t unmask_crc(std::uint32_t masked) {
    const std::uint32_t rotated = masked - 0xa282ead8u;
    return (rotated >> 17) | (rotated << 15);
}

}  // namespace ailab::runs::formats
