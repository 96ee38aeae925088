#include "services/data/mapped_file.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace seed::data {
namespace {

// One guarded map: [begin, end) while in use, begin == 0 when free. The
// SIGBUS handler reads these, so they are lock-free atomics.
struct GuardSlot {
  std::atomic<bool> taken{false};
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> cut{false};
};

GuardSlot guard_slots[kMaxGuardedMaps];
struct sigaction previous_action;
uintptr_t page_size = 4096;
static_assert(std::atomic<uintptr_t>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

// Async-signal-safe: atomics, mmap and sigaction only.
void OnBusError(int signal_number, siginfo_t* info, void* context) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardSlot& slot : guard_slots) {
    const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    const uintptr_t end = slot.end.load(std::memory_order_acquire);
    if (begin == 0 || address < begin || address >= end) continue;
    // Zeros from the faulting page to the end of the map: the read that
    // faulted, and every later one past the cut, then succeeds.
    const uintptr_t page = address & ~(page_size - 1);
    if (mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
      slot.cut.store(true, std::memory_order_release);
      return;
    }
    break;
  }
  // Not a guarded map: as if this handler were not there.
  if ((previous_action.sa_flags & SA_SIGINFO) != 0 &&
      previous_action.sa_sigaction != nullptr) {
    previous_action.sa_sigaction(signal_number, info, context);
    return;
  }
  if (previous_action.sa_handler != SIG_DFL &&
      previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal_number);
    return;
  }
  // The default action: a fault repeats when the handler returns and now
  // ends the process as it would have; a signal someone sent is sent again.
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(signal_number, &default_action, nullptr);
  if (info->si_code <= 0) raise(signal_number);
}

void InstallHandler() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    const long size = sysconf(_SC_PAGESIZE);
    if (size > 0) page_size = static_cast<uintptr_t>(size);
    struct sigaction action = {};
    action.sa_sigaction = OnBusError;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous_action);
  });
}

int TakeSlot(const char* data, size_t size) {
  for (int i = 0; i < kMaxGuardedMaps; ++i) {
    GuardSlot& slot = guard_slots[i];
    bool expected = false;
    if (!slot.taken.compare_exchange_strong(expected, true)) continue;
    slot.cut.store(false, std::memory_order_relaxed);
    slot.end.store(reinterpret_cast<uintptr_t>(data) + size,
                   std::memory_order_relaxed);
    slot.begin.store(reinterpret_cast<uintptr_t>(data),
                     std::memory_order_release);
    return i;
  }
  return -1;
}

absl::Status ErrnoStatus(int error, absl::string_view doing) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(doing, ": ", std::strerror(error)));
}

}  // namespace

absl::StatusOr<MappedFile> MappedFile::Map(int fd, int64_t size) {
  MappedFile file;
  if (size <= 0) return file;
  InstallHandler();
  void* map =
      mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (map != MAP_FAILED) {
    const char* data = static_cast<const char*>(map);
    file.slot_ = TakeSlot(data, static_cast<size_t>(size));
    if (file.slot_ >= 0) {
      // Read front to back: the kernel reads ahead and maps pages in
      // batches.
      madvise(map, static_cast<size_t>(size), MADV_SEQUENTIAL);
      file.data_ = data;
      file.size_ = static_cast<size_t>(size);
      return file;
    }
    munmap(map, static_cast<size_t>(size));
  }
  // No map (or no free guard): a copy, which a cut file cannot fault.
  file.copy_ = std::unique_ptr<char[]>(new char[static_cast<size_t>(size)]);
  size_t done = 0;
  while (done < static_cast<size_t>(size)) {
    const ssize_t got = pread(fd, file.copy_.get() + done,
                              static_cast<size_t>(size) - done, done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoStatus(errno, "reading the file");
    if (got == 0) {  // the file shrank while being read
      file.copy_cut_ = true;
      break;
    }
    done += static_cast<size_t>(got);
  }
  file.data_ = file.copy_.get();
  file.size_ = done;
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      slot_(std::exchange(other.slot_, -1)),
      copy_(std::move(other.copy_)),
      copy_cut_(other.copy_cut_) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    slot_ = std::exchange(other.slot_, -1);
    copy_ = std::move(other.copy_);
    copy_cut_ = other.copy_cut_;
  }
  return *this;
}

MappedFile::~MappedFile() { Release(); }

bool MappedFile::cut() const {
  if (slot_ < 0) return copy_cut_;
  return guard_slots[slot_].cut.load(std::memory_order_acquire);
}

void MappedFile::Release() {
  if (slot_ < 0) return;
  GuardSlot& slot = guard_slots[slot_];
  // Unguard before unmapping: the handler must never map over an address
  // range that is no longer ours.
  slot.begin.store(0, std::memory_order_release);
  munmap(const_cast<char*>(data_), size_);
  slot.taken.store(false, std::memory_order_release);
  slot_ = -1;
  data_ = nullptr;
  size_ = 0;
}

}  // namespace seed::data
