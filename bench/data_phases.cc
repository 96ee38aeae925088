#include "bench/data_phases.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/regular_file.h"
#include "common/sha256.h"
#include "services/data/bar_hash.h"
#include "services/data/column_cache.h"
#include "services/data/csv_reader.h"
#include "services/data/dataset_store.h"
#include "services/data/mapped_file.h"

namespace seed::bench {
namespace {

namespace fs = std::filesystem;
using data::ColumnCache;
using data::DatasetStore;
using data::DatasetStoreOptions;
using data::MappedFile;
using data::ParsedFile;

double Milliseconds(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

struct Timing {
  double wall_ms = 0;
  double cpu_ms = 0;
};

// Median wall and CPU time of `rounds` calls of `work`, each after `setup`
// (not timed).
Timing Time(int rounds, const std::function<void()>& setup,
            const std::function<void()>& work) {
  std::vector<double> wall, cpu;
  for (int round = 0; round < rounds; ++round) {
    setup();
    const double wall_start = Milliseconds(CLOCK_MONOTONIC);
    const double cpu_start = Milliseconds(CLOCK_PROCESS_CPUTIME_ID);
    work();
    cpu.push_back(Milliseconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start);
    wall.push_back(Milliseconds(CLOCK_MONOTONIC) - wall_start);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

void Fail(const std::string& what) {
  std::fprintf(stderr, "data phases: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

void PrintDataPhases(const std::string& case_name,
                     const std::vector<std::string>& files, int64_t bars,
                     const fs::path& scratch, int rounds) {
  const auto none = [] {};
  // Inputs of the later phases, made once.
  std::vector<std::string> texts;
  std::vector<ParsedFile> parsed;
  std::vector<std::string> content_hashes;
  for (const std::string& path : files) {
    absl::StatusOr<std::string> text =
        ReadRegularFile(path, limits::kMaxCsvBytes, "data file");
    if (!text.ok()) Fail(std::string(text.status().message()));
    absl::StatusOr<ParsedFile> file = data::ParseCsv(*text, path, "S");
    if (!file.ok()) Fail(std::string(file.status().message()));
    file->bars_hash = data::ContentHash(file->bars, 0, file->bars.size());
    content_hashes.push_back(Sha256Hex(*text));
    texts.push_back(*std::move(text));
    parsed.push_back(*std::move(file));
  }
  const fs::path cache_dir = scratch / "phases-cache";
  const auto empty_cache = [&] {
    fs::remove_all(cache_dir);
    fs::create_directories(cache_dir);
  };
  const auto store_with = [&](std::optional<std::string> dir) {
    return std::make_unique<DatasetStore>(
        DatasetStoreOptions{.column_cache_dir = std::move(dir)});
  };
  const auto load_all = [&](DatasetStore& store) {
    for (const std::string& path : files) {
      if (!store.LoadFile(path, "S").ok()) Fail("LoadFile of " + path);
    }
  };
  std::unique_ptr<DatasetStore> store;

  std::vector<std::pair<std::string, Timing>> phases;
  phases.emplace_back(
      "read: read() into memory (before)", Time(rounds, none, [&] {
        for (const std::string& path : files) {
          (void)ReadRegularFile(path, limits::kMaxCsvBytes, "data file");
        }
      }));
  phases.emplace_back(
      "read: mmap, every page touched", Time(rounds, none, [&] {
        for (const std::string& path : files) {
          absl::StatusOr<RegularFile> file =
              RegularFile::Open(path, limits::kMaxCsvBytes, "data file");
          absl::StatusOr<MappedFile> map =
              MappedFile::Map(file->fd(), file->size());
          volatile char sum = 0;
          for (size_t i = 0; i < map->text().size(); i += 4096) {
            sum += map->text()[i];
          }
        }
      }));
  phases.emplace_back("parse + validate", Time(rounds, none, [&] {
                        for (const std::string& text : texts) {
                          (void)data::ParseCsv(text, "bench.csv", "S");
                        }
                      }));
  phases.emplace_back("hash: bars (run fingerprint)", Time(rounds, none, [&] {
                        for (const ParsedFile& file : parsed) {
                          (void)data::ContentHash(file.bars, 0,
                                                  file.bars.size());
                        }
                      }));
  phases.emplace_back("hash: bytes (cache key)", Time(rounds, none, [&] {
                        for (const std::string& text : texts) {
                          (void)Sha256Hex(text);
                        }
                      }));
  phases.emplace_back("column cache: store", Time(rounds, empty_cache, [&] {
                        ColumnCache cache(cache_dir.string(),
                                          data::kDefaultColumnCacheBytes);
                        for (size_t i = 0; i < parsed.size(); ++i) {
                          if (!cache.Store(content_hashes[i], parsed[i]).ok())
                            Fail("Store");
                        }
                      }));
  phases.emplace_back("column cache: load", Time(rounds, none, [&] {
                        ColumnCache cache(cache_dir.string(),
                                          data::kDefaultColumnCacheBytes);
                        for (const std::string& hash : content_hashes) {
                          if (!cache.Load(hash).has_value()) Fail("Load");
                        }
                      }));
  phases.emplace_back("LoadFile, cache off",
                      Time(
                          rounds, [&] { store = store_with(std::nullopt); },
                          [&] { load_all(*store); }));
  phases.emplace_back("LoadFile, cold cache (parse, hash, store)",
                      Time(
                          rounds,
                          [&] {
                            empty_cache();
                            store = store_with(cache_dir.string());
                          },
                          [&] { load_all(*store); }));
  phases.emplace_back(
      "LoadFile, warm cache (another process's)",
      Time(
          rounds, [&] { store = store_with(cache_dir.string()); },
          [&] { load_all(*store); }));
  const DatasetStore::Stats stats = store->stats();
  fs::remove_all(cache_dir);

  std::printf("data phases, case %s (%zu files, %lld bars), medians of %d:\n",
              case_name.c_str(), files.size(), static_cast<long long>(bars),
              rounds);
  std::printf("  %-44s %10s %10s %12s\n", "phase", "wall ms", "cpu ms",
              "cpu ns/bar");
  for (const auto& [name, timing] : phases) {
    std::printf("  %-44s %10.1f %10.1f %12.1f\n", name.c_str(), timing.wall_ms,
                timing.cpu_ms, timing.cpu_ms * 1e6 / static_cast<double>(bars));
  }
  // The warm loads must have been hits, or the line above measured parsing.
  std::printf("  (warm: %lld of %zu files from the cache, %lld parsed)\n",
              static_cast<long long>(stats.column_cache.hits), files.size(),
              static_cast<long long>(stats.parsed));
  std::fflush(stdout);
}

}  // namespace seed::bench
