// crier-pdf-text: a PDF's text, page by page, as JSON ({"title": ..., "pages": [...]}) on
// stdout, from the PDF on stdin, and "page N of M" on stderr as it goes. A helper of its own so that crier
// does not load poppler (and the dozen libraries it pulls in) at every start, and so that a hostile PDF that
// crashes or hangs poppler takes this process down, not crier. Exit 2 with a message for what it cannot read.
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

namespace {
void quiet(const std::string&, void*) {}
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}
}  // namespace

int main() {
  std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  poppler::set_debug_error_function(quiet, nullptr);
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!doc) {
    std::cerr << "not a PDF poppler can open\n";
    return 2;
  }
  if (doc->is_locked()) {
    std::cerr << "the PDF is encrypted\n";
    return 3;
  }
  auto title = doc->info_key("Title").to_utf8();
  nlohmann::json out = {{"title", std::string(title.begin(), title.end())}, {"pages", nlohmann::json::array()}};
  if (!valid_utf8(out["title"].get<std::string>())) out["title"] = "";
  const int pages = doc->pages();
  for (int i = 0; i < pages; ++i) {
    // Progress on stderr, a line a page, for crier to show while a long PDF is read.
    std::cerr << "page " << i + 1 << " of " << pages << '\n' << std::flush;
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    std::string text;
    if (page) {
      auto t = page->text().to_utf8();
      text.assign(t.begin(), t.end());
    }
    out["pages"].push_back(valid_utf8(text) ? text : "");
  }
  // Whatever poppler gave, the JSON is valid: a byte that is not UTF-8 becomes U+FFFD.
  std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return 0;
}
