#include "services/data/bar_hash.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/base/casts.h"
#include "absl/base/config.h"
#include "common/sha256.h"

namespace seed::data {
namespace {

constexpr size_t kBytesPerHashedBar = 48;
// Bars hashed per Sha256::Update call; any size gives the same digest.
constexpr size_t kHashChunkBars = 4096;

void PutLittleEndian(uint64_t value, char* out) {
#ifdef ABSL_IS_LITTLE_ENDIAN
  std::memcpy(out, &value, sizeof(value));
#else
  for (int byte = 0; byte < 8; ++byte) {
    out[byte] = static_cast<char>(value >> (8 * byte));
  }
#endif
}

}  // namespace

std::string ContentHash(const BarColumns& bars, size_t begin, size_t end) {
  Sha256 hasher;
  std::string buffer(kHashChunkBars * kBytesPerHashedBar, '\0');
  for (size_t chunk = begin; chunk < end; chunk += kHashChunkBars) {
    const size_t chunk_end = std::min(end, chunk + kHashChunkBars);
    char* out = buffer.data();
    for (size_t i = chunk; i < chunk_end; ++i) {
      PutLittleEndian(static_cast<uint64_t>(bars.time[i]), out);
      PutLittleEndian(absl::bit_cast<uint64_t>(bars.open[i]), out + 8);
      PutLittleEndian(absl::bit_cast<uint64_t>(bars.high[i]), out + 16);
      PutLittleEndian(absl::bit_cast<uint64_t>(bars.low[i]), out + 24);
      PutLittleEndian(absl::bit_cast<uint64_t>(bars.close[i]), out + 32);
      PutLittleEndian(absl::bit_cast<uint64_t>(bars.volume[i]), out + 40);
      out += kBytesPerHashedBar;
    }
    hasher.Update(absl::string_view(buffer.data(), out - buffer.data()));
  }
  return hasher.HexDigest();
}

}  // namespace seed::data
