// libFuzzer target 'template': see gwfuzz::template_render in harness.h.
// Built by `make fuzz` (GW_FUZZ=ON).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string why =
      gwfuzz::template_render(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!why.empty()) {
    std::fprintf(stderr, "fuzz target 'template': %s\n", why.c_str());
    std::abort();
  }
  return 0;
}
