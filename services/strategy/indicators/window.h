// Window: the last `capacity` values of a series in a ring buffer, for the
// rolling indicators, which must take out exactly the value that leaves.
// O(1) per value. Not thread-safe: one owner (an indicator) at a time.
#ifndef SEED_SERVICES_STRATEGY_INDICATORS_WINDOW_H_
#define SEED_SERVICES_STRATEGY_INDICATORS_WINDOW_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace seed::strategy {

// Example:
//   Window<double> window(2);
//   window.Push(1);  // empty: nothing left the window
//   window.Push(2);  // empty; window.full() is now true
//   window.Push(3);  // 1.0 left the window
template <typename T>
class Window {
 public:
  // capacity >= 1.
  explicit Window(int64_t capacity) : values_(capacity) {}

  // Appends value; returns the value that left the window, if it was full.
  std::optional<T> Push(const T& value) {
    std::optional<T> evicted;
    if (full()) {
      evicted = values_[next_];
    } else {
      ++size_;
    }
    values_[next_] = value;
    next_ = (next_ + 1) % values_.size();
    return evicted;
  }

  int64_t size() const { return static_cast<int64_t>(size_); }
  bool full() const { return size_ == values_.size(); }

 private:
  std::vector<T> values_;
  size_t next_ = 0;
  size_t size_ = 0;
};

}  // namespace seed::strategy

#endif  // SEED_SERVICES_STRATEGY_INDICATORS_WINDOW_H_
