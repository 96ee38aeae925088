// A read-only memory map of a data file, so the CSV parser reads the page
// cache in place instead of a copy of the file. A file cut short while mapped
// would make reading a page past its new end raise SIGBUS and kill the
// process; here a process-wide handler answers that fault by mapping zeros
// over the lost part and marking the map as cut, so the reader finishes and
// then learns (cut()) that what it read is not the file. Thread-safe: one
// MappedFile is read by one thread at a time; any number may exist at once
// (past kMaxGuardedMaps at the same time, Map reads the file into memory
// instead, which needs no guard).
#ifndef SEED_SERVICES_DATA_MAPPED_FILE_H_
#define SEED_SERVICES_DATA_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::data {

// Maps guarded at the same time; a data service parses at most a few files at
// once.
inline constexpr int kMaxGuardedMaps = 64;

class MappedFile {
 public:
  // The first `size` bytes of the open regular file `fd` (not taken over: the
  // caller keeps it open while mapping). Fails with the errno's code when the
  // file can be neither mapped nor read.
  static absl::StatusOr<MappedFile> Map(int fd, int64_t size);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  absl::string_view text() const { return {data_, size_}; }

  // True when the file was cut short while being read: a map holds zeros
  // from the cut on, a copy ends there.
  bool cut() const;

  // Mapped (false: read into memory).
  bool mapped() const { return slot_ >= 0; }

 private:
  MappedFile() = default;
  void Release();

  const char* data_ = nullptr;
  size_t size_ = 0;
  // Index of the guard slot of a map, -1 when the text is in `copy_`.
  int slot_ = -1;
  std::unique_ptr<char[]> copy_;
  // The copy is short: the file shrank while it was read.
  bool copy_cut_ = false;
};

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_MAPPED_FILE_H_
