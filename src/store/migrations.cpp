#include <string_view>
#include <vector>

#include "embedded.hpp"
#include "store/store.hpp"

namespace crier {

std::vector<std::string_view> embedded_migrations() {
  // Numbered files under src/store/migrations, embedded by CMake. Append only: never edit one
  // that has shipped, add the next number instead.
  return {
      embedded_file("src/store/migrations/0001_initial.sql"),
      embedded_file("src/store/migrations/0002_inbox_metrics.sql"),
      embedded_file("src/store/migrations/0003_schedules_slots.sql"),
      embedded_file("src/store/migrations/0004_drafts.sql"),
      embedded_file("src/store/migrations/0005_attempts_rate_limits.sql"),
      embedded_file("src/store/migrations/0006_scores.sql"),
      embedded_file("src/store/migrations/0007_progress.sql"),
      embedded_file("src/store/migrations/0008_native_schedule.sql"),
      embedded_file("src/store/migrations/0009_knowledge_base.sql"),
      embedded_file("src/store/migrations/0010_inbox_search.sql"),
      embedded_file("src/store/migrations/0011_llm_usage.sql"),
      embedded_file("src/store/migrations/0012_inbox_intelligence.sql"),
      embedded_file("src/store/migrations/0013_kb_embeddings.sql"),
  };
}

}  // namespace crier
