#include "common/regular_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace seed {
namespace {

int64_t Nanoseconds(const struct timespec& time) {
  return static_cast<int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

absl::Status ErrnoFailure(int error, absl::string_view what,
                          const std::string& path) {
  absl::StatusCode code = absl::ErrnoToStatusCode(error);
  if (error == ENOENT || error == ENOTDIR) code = absl::StatusCode::kNotFound;
  return absl::Status(code, absl::StrCat("cannot read ", what, " ", path, ": ",
                                         std::strerror(error)));
}

// NOT_FOUND for a missing path, saying so when it is a dangling link.
absl::Status Missing(int error, absl::string_view what,
                     const std::string& path) {
  struct stat link;
  if (error == ENOENT && lstat(path.c_str(), &link) == 0 &&
      S_ISLNK(link.st_mode)) {
    char target[PATH_MAX];
    const ssize_t length = readlink(path.c_str(), target, sizeof(target) - 1);
    const std::string shown =
        length > 0 ? std::string(target, static_cast<size_t>(length)) : "?";
    return absl::NotFoundError(absl::StrCat(what, " ", path,
                                            " is a symbolic link to ", shown,
                                            ", which does not exist"));
  }
  return ErrnoFailure(error, what, path);
}

}  // namespace

std::string DescribeFileType(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

absl::StatusOr<RegularFile> RegularFile::Open(const std::string& path,
                                              int64_t max_bytes,
                                              absl::string_view what) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
  // writer. It has no effect on the reads of a regular file.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT) return Missing(error, what, path);
    return ErrnoFailure(error, what, path);
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    const int error = errno;
    close(fd);
    return ErrnoFailure(error, what, path);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", path, " is ", DescribeFileType(info.st_mode),
                     ", not a regular file"));
  }
  if (info.st_size > max_bytes) {
    close(fd);
    return absl::OutOfRangeError(
        absl::StrCat(what, " ", path, " is ", info.st_size,
                     " bytes; the limit is ", max_bytes));
  }
  return RegularFile(fd, path, std::string(what), info);
}

RegularFile::RegularFile(int fd, std::string path, std::string what,
                         const struct stat& info)
    : fd_(fd),
      path_(std::move(path)),
      what_(std::move(what)),
      size_(info.st_size),
      mtime_ns_(Nanoseconds(info.st_mtim)),
      device_(info.st_dev),
      inode_(info.st_ino),
      ctime_ns_(Nanoseconds(info.st_ctim)) {}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      what_(std::move(other.what_)),
      size_(other.size_),
      mtime_ns_(other.mtime_ns_),
      device_(other.device_),
      inode_(other.inode_),
      ctime_ns_(other.ctime_ns_) {}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    what_ = std::move(other.what_);
    size_ = other.size_;
    mtime_ns_ = other.mtime_ns_;
    device_ = other.device_;
    inode_ = other.inode_;
    ctime_ns_ = other.ctime_ns_;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::string> RegularFile::ReadAll() {
  std::string text(static_cast<size_t>(size_), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = read(fd_, text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoFailure(errno, what_, path_);
    if (got == 0) break;  // the file shrank while being read
    done += static_cast<size_t>(got);
  }
  text.resize(done);
  return text;
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path,
                                            int64_t max_bytes,
                                            absl::string_view what) {
  absl::StatusOr<RegularFile> file = RegularFile::Open(path, max_bytes, what);
  if (!file.ok()) return file.status();
  return file->ReadAll();
}

}  // namespace seed
