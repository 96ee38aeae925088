// Checks on text from outside (files, specs, requests) before it goes into a
// protobuf string, which must be valid UTF-8, and escaping of text printed
// on a terminal, where control characters and escape sequences would break a
// table or act on the terminal. Thread-safe: pure functions.
#ifndef SEED_COMMON_TEXT_H_
#define SEED_COMMON_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace seed {

// The offset of the first byte of `text` that does not start a well-formed
// UTF-8 sequence (overlong forms, surrogates and code points past U+10FFFF
// are not well-formed); nullopt when all of it is valid. Example:
//   FirstInvalidUtf8("caf\xe9")  // 3: Latin-1 "é"
std::optional<size_t> FirstInvalidUtf8(absl::string_view text);

// `text` with control characters (C0, DEL, C1) and bytes that are not valid
// UTF-8 written as \xNN (a tab as \t, a newline as \n unless
// `keep_newlines`), everything else as it is, so escaping twice changes
// nothing more. Example:
//   EscapeForTerminal("a\x1b[31mb")  // "a\x1B[31mb" with a literal backslash
std::string EscapeForTerminal(absl::string_view text,
                              bool keep_newlines = false);

// "byte 0xE9 at byte offset 3": what a message about invalid UTF-8 says.
std::string DescribeInvalidByte(absl::string_view text, size_t offset);

}  // namespace seed

#endif  // SEED_COMMON_TEXT_H_
