// A small, valid PDF for tests: one page per entry, each line of it drawn in Helvetica, and a
// Title in its Info dictionary. Written by hand (xref offsets computed), so no tool is needed.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace crier::testing {

inline std::string test_pdf(const std::vector<std::string>& pages, const std::string& title = "") {
  auto escape = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '(' || c == ')' || c == '\\') o += '\\';
      o += c;
    }
    return o;
  };
  std::vector<std::string> objects;  // object i+1
  int n = static_cast<int>(pages.size());
  // 1 catalog, 2 pages, 3 font, 4 info, then a page and its contents per page.
  std::string kids;
  for (int i = 0; i < n; ++i) kids += std::to_string(5 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.push_back("<< /Title (" + escape(title) + ") >>");
  for (int i = 0; i < n; ++i) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                      "/Contents " + std::to_string(6 + 2 * i) + " 0 R >>");
    std::string content = "BT /F1 11 Tf 14 TL 72 740 Td\n";
    std::istringstream lines(pages[i]);
    for (std::string line; std::getline(lines, line);) content += "(" + escape(line) + ") Tj T*\n";
    content += "ET";
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream");
  }
  std::string out = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R /Info 4 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

}  // namespace crier::testing
