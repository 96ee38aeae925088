// CRC-32C (Castagnoli, as iSCSI and ext4 use it), the checksum of the column
// cache's files: by the SSE4.2 instruction where the CPU has it (eight bytes
// per instruction, several GB/s), else by table. Thread-safe: pure functions.
#ifndef SEED_SERVICES_DATA_CRC32C_H_
#define SEED_SERVICES_DATA_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace seed::data {

// The CRC-32C of `size` bytes at `data` following bytes whose CRC-32C is
// `crc` (0 for none), so that Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b).
// Example: Crc32c(0, "123456789", 9) == 0xE3069283.
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_CRC32C_H_
