// Cutting a document's text into chunks for the knowledge base: about `size` characters each,
// the next starting about `overlap` characters before the end of the last, cut at paragraph,
// then sentence, then word boundaries, never inside a character, and never across a section
// (a Markdown heading, a PDF page), so each chunk can say where it came from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crier {

struct TextSection {
  std::string heading;  // "Guide > Refunds", "page 3", "" before the first heading
  size_t start = 0;     // bytes: the section's text (the heading line excluded)
  size_t end = 0;
};

struct TextChunk {
  std::string heading;
  size_t start = 0;  // bytes, in the whole text
  size_t end = 0;
  std::string text;  // text[start, end), which starts and ends with no blank
};

struct ChunkSize {
  size_t size = 1000;    // characters (code points)
  size_t overlap = 200;
};

// The sections of Markdown text: ATX headings ("## Refunds") open a section named by the path
// of headings above it ("Guide > Refunds"). Fenced code blocks are not searched for headings.
std::vector<TextSection> markdown_sections(std::string_view text);

// Chunks of each section, in order.
std::vector<TextChunk> chunk_sections(std::string_view text, const std::vector<TextSection>& sections,
                                      ChunkSize size = {});

}  // namespace crier
