// Reading a file a user named (a spec, a data CSV, a metadata file) without
// being stuck or swamped by it: what is not a regular file (a FIFO would
// block the reader until a writer came, a device never ends, a directory has
// no text) is refused with what it is, and so is a file larger than the
// caller's bound, before a byte of it is read. A FIFO is opened with
// O_NONBLOCK, so the check itself never blocks. Thread-safe: a RegularFile is
// used by one thread at a time; the functions are pure.
#ifndef SEED_COMMON_REGULAR_FILE_H_
#define SEED_COMMON_REGULAR_FILE_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed {

// "a FIFO (named pipe)", "a directory", "a character device", "a block
// device", "a socket", "a regular file", ...
std::string DescribeFileType(mode_t mode);

class RegularFile {
 public:
  // Opens `path` (symbolic links followed) when it is a regular file of at
  // most `max_bytes`. `what` names it in messages ("data file"). Fails with:
  //   NOT_FOUND: it does not exist, or is a symbolic link to nothing
  //     ("data file /d/X.csv is a symbolic link to /gone, which does not
  //     exist");
  //   FAILED_PRECONDITION: it is not a regular file ("spec file /tmp/p is a
  //     FIFO (named pipe), not a regular file");
  //   OUT_OF_RANGE: it is larger ("data file /d/X.csv is 209715200 bytes;
  //     the limit is 134217728");
  //   the errno's code otherwise (PERMISSION_DENIED, ...).
  static absl::StatusOr<RegularFile> Open(const std::string& path,
                                          int64_t max_bytes,
                                          absl::string_view what);

  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  int64_t size() const { return size_; }
  int64_t mtime_ns() const { return mtime_ns_; }
  // The rest of the file's identity, from the same fstat as size() and
  // mtime_ns(): whether it is still this file, unchanged, can be told later
  // (a rewrite changes ctime even when it keeps size and mtime).
  uint64_t device() const { return device_; }
  uint64_t inode() const { return inode_; }
  int64_t ctime_ns() const { return ctime_ns_; }
  // The open descriptor, owned by this object (for mapping the file).
  int fd() const { return fd_; }

  // The whole file (at most size() bytes: a file that grew is cut there).
  absl::StatusOr<std::string> ReadAll();

 private:
  RegularFile(int fd, std::string path, std::string what,
              const struct stat& info);

  int fd_ = -1;
  std::string path_;
  std::string what_;
  int64_t size_ = 0;
  int64_t mtime_ns_ = 0;
  uint64_t device_ = 0;
  uint64_t inode_ = 0;
  int64_t ctime_ns_ = 0;
};

// Open then ReadAll.
absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            int64_t max_bytes,
                                            absl::string_view what);

}  // namespace seed

#endif  // SEED_COMMON_REGULAR_FILE_H_
