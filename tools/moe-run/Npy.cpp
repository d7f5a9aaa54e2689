//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "Npy.h"

#include "moe/Support/CheckedMath.h"

#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>

namespace moe::tools {

namespace {

constexpr char kMagic[] = "\x93NUMPY";

/// The value text after `'key':` in the header dict, up to the next
/// top-level comma or the closing brace.
bool findValue(const std::string &header, const std::string &key,
               std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    at = header.find("\"" + key + "\"");
  if (at == std::string::npos)
    return false;
  at = header.find(':', at);
  if (at == std::string::npos)
    return false;
  ++at;
  int depth = 0;
  size_t end = at;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(' || c == '[')
      ++depth;
    else if (c == ')' || c == ']')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  value = header.substr(at, end - at);
  size_t first = value.find_first_not_of(" \t");
  size_t last = value.find_last_not_of(" \t");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  return true;
}

/// Parses "(2, 3)"; false with `reason` set (empty for plain bad syntax)
/// when it is not a tuple of int64 extents.
bool parseShape(const std::string &text, std::vector<int64_t> &shape,
                std::string &reason) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')')
    return false;
  shape.clear();
  std::string inner = text.substr(1, text.size() - 2);
  size_t position = 0;
  while (position < inner.size()) {
    while (position < inner.size() &&
           (inner[position] == ' ' || inner[position] == ','))
      ++position;
    if (position >= inner.size())
      break;
    size_t end = position;
    while (end < inner.size() && std::isdigit(static_cast<unsigned char>(inner[end])))
      ++end;
    if (end == position)
      return false;
    int64_t extent = 0;
    auto [stop, ec] =
        std::from_chars(inner.data() + position, inner.data() + end, extent);
    if (ec != std::errc() || stop != inner.data() + end) {
      reason = "extent " + inner.substr(position, end - position) +
               " does not fit in a 64-bit integer";
      return false;
    }
    shape.push_back(extent);
    // Python 2 long suffix.
    if (end < inner.size() && inner[end] == 'L')
      ++end;
    position = end;
  }
  return true;
}

/// The element size of a dtype string "<f4" (byte order, kind, size of at
/// most 16 bytes); 0 when it is not of that form.
size_t itemSizeOf(const std::string &descr) {
  size_t size = 0;
  if (descr.size() < 3 || descr.size() > 4 ||
      !std::isalpha(static_cast<unsigned char>(descr[1])))
    return 0;
  auto [end, ec] =
      std::from_chars(descr.data() + 2, descr.data() + descr.size(), size);
  if (ec != std::errc() || end != descr.data() + descr.size() || size > 16)
    return 0;
  return size;
}

} // namespace

size_t NpyArray::itemSize() const { return itemSizeOf(descr); }

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  if (!checkedElementCount(shape.data(), shape.size(), n))
    return -1;
  return n;
}

bool readNpy(const std::string &path, NpyArray &array, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(bytes[8]) |
                   (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "'" + path + "' has a truncated .npy header";
      return false;
    }
    headerLength = 0;
    for (int i = 0; i < 4; ++i)
      headerLength |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i]))
                      << (8 * i);
    headerStart = 12;
  } else {
    error = "'" + path + "' has .npy format version " + std::to_string(major) +
            ", which is not supported";
    return false;
  }
  if (bytes.size() < headerStart + headerLength) {
    error = "'" + path + "' has a truncated .npy header";
    return false;
  }
  std::string header = bytes.substr(headerStart, headerLength);
  std::string descr, fortran, shape;
  if (!findValue(header, "descr", descr) ||
      !findValue(header, "fortran_order", fortran) ||
      !findValue(header, "shape", shape)) {
    error = "'" + path + "' has a malformed .npy header: " + header;
    return false;
  }
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"'))
    descr = descr.substr(1, descr.size() - 2);
  // A kind and a size of at most 16 bytes ("<f4", "<c16"): a size like
  // "<f99999999999" is no dtype, and would make the byte size meaningless.
  if (itemSizeOf(descr) == 0) {
    error = "'" + path + "' has an unsupported dtype " + descr;
    return false;
  }
  if (descr[0] == '>' && descr.substr(2) != "1") {
    error = "'" + path + "' is big-endian (" + descr +
            "); save it little-endian";
    return false;
  }
  if (descr[0] == '=' || descr[0] == '|' || descr[0] == '>')
    descr[0] = '<';
  if (fortran != "False") {
    error = "'" + path + "' is in Fortran order; save a C-ordered array";
    return false;
  }
  array.descr = descr;
  std::string reason;
  if (!parseShape(shape, array.shape, reason)) {
    error = "'" + path + "' has a malformed shape " + shape +
            (reason.empty() ? "" : ": " + reason);
    return false;
  }
  // Checked: a wrapped byte size would pass the length check below with a
  // tiny number and leave the shape promising far more data than is read.
  int64_t checkedSize = 0;
  if (!checkedByteSize(array.shape, array.itemSize(), checkedSize)) {
    error = "'" + path + "' has shape " + shape + " of " + descr +
            ", whose size in bytes overflows a 64-bit integer";
    return false;
  }
  size_t size = static_cast<size_t>(checkedSize);
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart < size) {
    error = "'" + path + "' holds " + std::to_string(bytes.size() - dataStart) +
            " data bytes but its shape needs " + std::to_string(size);
    return false;
  }
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(dataStart),
                    bytes.begin() + static_cast<std::ptrdiff_t>(dataStart + size));
  return true;
}

bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error) {
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i)
    shape += std::to_string(array.shape[i]) + ", ";
  if (array.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (array.shape.size() == 1)
    shape.resize(shape.size() - 1); // "(5,)"
  shape += ")";
  std::string header = "{'descr': '" + array.descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that magic + length + header + '\n' is a multiple of
  // 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot create '" + path + "'";
    return false;
  }
  out.write(kMagic, 6);
  char version[2] = {1, 0};
  out.write(version, 2);
  char length[2] = {static_cast<char>(header.size() & 0xff),
                    static_cast<char>((header.size() >> 8) & 0xff)};
  out.write(length, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(array.data.data(), static_cast<std::streamsize>(array.data.size()));
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

} // namespace moe::tools
