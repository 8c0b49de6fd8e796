#include "time/recurrence.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <date/tz.h>

#include "error.hpp"
#include "time/when.hpp"

namespace crier {
namespace {

using namespace std::chrono;

const char* k_examples =
    "examples: 'daily 09:00', 'mon,wed,fri 18:30', 'mon-fri 09:00,13:00', 'weekly', 'monthly 1st', "
    "'monthly last fri 17:00', 'every 2 weeks', or an RRULE such as 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17'";

const std::array<const char*, 7> k_rrule_days{"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
const std::array<const char*, 7> k_day_names{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
const std::array<const char*, 12> k_months{"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};

Error not_understood(std::string_view text, const std::string& why) {
  return Error(ErrorKind::invalid_input, "cannot read the rule '" + std::string(text) + "': " + why, k_examples);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t next = s.find(sep, pos);
    if (next == std::string::npos) next = s.size();
    if (next > pos) out.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

std::optional<int> to_int(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size() || !std::all_of(s.begin() + static_cast<long>(i), s.end(), ::isdigit)) return std::nullopt;
  return std::stoi(s);
}

// "1st", "22nd", "first", "last" → 1, 22, 1, -1
std::optional<int> ordinal(const std::string& s) {
  static const std::array<const char*, 5> k_words{"first", "second", "third", "fourth", "fifth"};
  for (int i = 0; i < 5; ++i)
    if (s == k_words[static_cast<size_t>(i)]) return i + 1;
  if (s == "last") return -1;
  if (s.size() >= 3) {
    std::string suffix = s.substr(s.size() - 2);
    if (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th") {
      auto n = to_int(s.substr(0, s.size() - 2));
      if (n && *n >= 1 && *n <= 31) return n;
    }
  }
  return std::nullopt;
}

// "mon,wed-fri" → weekdays; nullopt when any item is not a weekday or range of them.
std::optional<std::vector<unsigned>> day_list(const std::string& s) {
  std::vector<unsigned> days;
  for (const auto& item : split(s, ',')) {
    auto dash = item.find('-');
    auto a = parse_weekday(item.substr(0, dash));
    if (!a) return std::nullopt;
    if (dash == std::string::npos) {
      days.push_back(a->c_encoding());
      continue;
    }
    auto b = parse_weekday(item.substr(dash + 1));
    if (!b) return std::nullopt;
    for (unsigned d = a->c_encoding();; d = (d + 1) % 7) {
      days.push_back(d);
      if (d == b->c_encoding()) break;
    }
  }
  return days;
}

std::optional<std::vector<int>> time_list(const std::string& s) {
  std::vector<int> times;
  for (const auto& item : split(s, ',')) {
    auto t = parse_time_of_day(item);
    if (!t || t->count() % 60 != 0) return std::nullopt;
    times.push_back(static_cast<int>(t->count() / 60));
  }
  if (times.empty()) return std::nullopt;
  return times;
}

bool set_freq(std::optional<Recurrence::Freq>& freq, Recurrence::Freq f) {
  if (freq && *freq != f) return false;
  freq = f;
  return true;
}

std::optional<Recurrence::Freq> freq_word(const std::string& w) {
  if (w == "daily" || w == "day" || w == "days") return Recurrence::Freq::daily;
  if (w == "weekly" || w == "week" || w == "weeks") return Recurrence::Freq::weekly;
  if (w == "monthly" || w == "month" || w == "months") return Recurrence::Freq::monthly;
  if (w == "yearly" || w == "annually" || w == "year" || w == "years") return Recurrence::Freq::yearly;
  return std::nullopt;
}

Recurrence parse_readable(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto words = split(s, ' ');
  Recurrence r;
  std::optional<Recurrence::Freq> freq;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "every" || w == "at" || w == "on" || w == "and" || w == "the" || w == "of" || w == "day-of-month")
      continue;
    if (auto n = to_int(w)) {
      auto unit = i + 1 < words.size() ? freq_word(words[i + 1]) : std::nullopt;
      if (!unit || *n < 1 || *n > 1000) throw not_understood(text, "'" + w + "' needs a unit, e.g. 'every 2 weeks'");
      r.interval = *n;
      if (!set_freq(freq, *unit)) throw not_understood(text, "two different periods");
      ++i;
      continue;
    }
    if (auto f = freq_word(w)) {
      if (!set_freq(freq, *f)) throw not_understood(text, "two different periods");
      continue;
    }
    if (w == "weekdays" || w == "weekends") {
      for (unsigned d : w == "weekdays" ? std::vector<unsigned>{1, 2, 3, 4, 5} : std::vector<unsigned>{6, 0})
        r.by_day.push_back({0, d});
      continue;
    }
    if (auto o = ordinal(w)) {
      auto wd = i + 1 < words.size() ? parse_weekday(words[i + 1]) : std::nullopt;
      if (wd) {
        if (*o > 5) throw not_understood(text, "a month has at most five of each weekday");
        r.by_day.push_back({*o, wd->c_encoding()});
        ++i;
      } else {
        r.by_month_day.push_back(*o);
      }
      continue;
    }
    if (auto days = day_list(w)) {
      for (unsigned d : *days) r.by_day.push_back({0, d});
      continue;
    }
    if (auto times = time_list(w)) {
      r.times.insert(r.times.end(), times->begin(), times->end());
      continue;
    }
    auto month = std::find(k_months.begin(), k_months.end(), w.substr(0, 3));
    if (w.size() >= 3 && month != k_months.end()) {
      r.by_month.push_back(static_cast<unsigned>(month - k_months.begin()) + 1);
      continue;
    }
    throw not_understood(text, "'" + w + "' is not a period, day, date or time");
  }
  if (!freq) {
    if (!r.by_day.empty()) freq = Recurrence::Freq::weekly;
    else if (!r.by_month_day.empty()) freq = Recurrence::Freq::monthly;
    else if (!r.times.empty()) freq = Recurrence::Freq::daily;
    else throw not_understood(text, "no period, day or time in it");
  }
  r.freq = *freq;
  std::sort(r.times.begin(), r.times.end());
  r.times.erase(std::unique(r.times.begin(), r.times.end()), r.times.end());
  return r;
}

std::vector<int> int_list(const std::string& value, int lo, int hi, std::string_view text, const std::string& key) {
  std::vector<int> out;
  for (const auto& item : split(value, ',')) {
    auto n = to_int(item);
    if (!n || *n < lo || *n > hi || (lo < 0 && *n == 0))
      throw not_understood(text, key + " value '" + item + "' is out of range");
    out.push_back(*n);
  }
  if (out.empty()) throw not_understood(text, key + " has no value");
  return out;
}

Recurrence parse_rrule(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (s.rfind("RRULE:", 0) == 0) s = s.substr(6);
  Recurrence r;
  bool have_freq = false;
  std::vector<int> hours, minutes;
  for (const auto& part : split(s, ';')) {
    auto eq = part.find('=');
    if (eq == std::string::npos) throw not_understood(text, "'" + part + "' is not KEY=VALUE");
    std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "FREQ") {
      have_freq = true;
      if (value == "DAILY") r.freq = Recurrence::Freq::daily;
      else if (value == "WEEKLY") r.freq = Recurrence::Freq::weekly;
      else if (value == "MONTHLY") r.freq = Recurrence::Freq::monthly;
      else if (value == "YEARLY") r.freq = Recurrence::Freq::yearly;
      else throw not_understood(text, "FREQ=" + value + " is not supported (DAILY, WEEKLY, MONTHLY or YEARLY; "
                                      "for several posts a day give several BYHOUR values)");
    } else if (key == "INTERVAL") {
      r.interval = int_list(value, 1, 1000, text, key).at(0);
    } else if (key == "BYDAY") {
      if (split(value, ',').empty()) throw not_understood(text, "BYDAY has no value");
      for (const auto& item : split(value, ',')) {
        if (item.size() < 2) throw not_understood(text, "BYDAY value '" + item + "'");
        auto day = std::find(k_rrule_days.begin(), k_rrule_days.end(), item.substr(item.size() - 2));
        auto ord = item.size() == 2 ? std::optional<int>(0) : to_int(item.substr(0, item.size() - 2));
        if (day == k_rrule_days.end() || !ord || *ord < -5 || *ord > 5)
          throw not_understood(text, "BYDAY value '" + item + "'");
        r.by_day.push_back({*ord, static_cast<unsigned>(day - k_rrule_days.begin())});
      }
    } else if (key == "BYMONTHDAY") {
      r.by_month_day = int_list(value, -31, 31, text, key);
    } else if (key == "BYMONTH") {
      for (int m : int_list(value, 1, 12, text, key)) r.by_month.push_back(static_cast<unsigned>(m));
    } else if (key == "BYHOUR") {
      hours = int_list(value, 0, 23, text, key);
    } else if (key == "BYMINUTE") {
      minutes = int_list(value, 0, 59, text, key);
    } else if (key == "BYSECOND") {
      if (value != "0") throw not_understood(text, "crier schedules to the minute (BYSECOND=0 only)");
    } else if (key == "X-CRIER-TIMES") {
      for (const auto& item : split(value, ',')) {
        auto n = to_int(item);
        if (item.size() != 4 || !n || *n / 100 > 23 || *n % 100 > 59)
          throw not_understood(text, "X-CRIER-TIMES value '" + item + "'");
        r.times.push_back(*n / 100 * 60 + *n % 100);
      }
    } else if (key == "COUNT") {
      r.count = int_list(value, 1, 100000, text, key).at(0);
    } else if (key == "UNTIL") {
      // 20261231 (the whole day, UTC) or 20261231T170000Z
      std::string iso = value.size() >= 8 ? value.substr(0, 4) + "-" + value.substr(4, 2) + "-" + value.substr(6, 2) : "";
      if (value.size() == 8) iso += "T23:59:59Z";
      else if (value.size() == 16 && value[8] == 'T' && value[15] == 'Z')
        iso += "T" + value.substr(9, 2) + ":" + value.substr(11, 2) + ":" + value.substr(13, 2) + "Z";
      auto t = parse_iso8601(iso);
      if (!t) throw not_understood(text, "UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ");
      r.until = *t;
    } else if (key == "WKST") {
      if (value != "MO") throw not_understood(text, "weeks start on Monday here (WKST=MO)");
    } else {
      throw not_understood(text, key + " is not supported");
    }
  }
  if (!have_freq) throw not_understood(text, "an RRULE needs FREQ");
  if (r.count && r.until) throw not_understood(text, "COUNT and UNTIL cannot both be given (RFC 5545)");
  if (!hours.empty() || !minutes.empty()) {
    if (!r.times.empty()) throw not_understood(text, "BYHOUR/BYMINUTE and X-CRIER-TIMES together");
    if (hours.empty() || minutes.empty())
      throw not_understood(text, "give both BYHOUR and BYMINUTE (e.g. BYHOUR=9;BYMINUTE=0)");
    for (int h : hours)
      for (int m : minutes) r.times.push_back(h * 60 + m);
  }
  std::sort(r.times.begin(), r.times.end());
  r.times.erase(std::unique(r.times.begin(), r.times.end()), r.times.end());
  return r;
}

unsigned last_day_of(date::year_month ym) {
  return static_cast<unsigned>(date::year_month_day_last{ym.year(), date::month_day_last{ym.month()}}.day());
}

// Whether day `d` of its month matches BYMONTHDAY / BYDAY-with-ordinals (monthly, yearly).
bool month_day_matches(const Recurrence& r, date::year_month_day ymd, unsigned weekday, unsigned start_day) {
  unsigned d = static_cast<unsigned>(ymd.day());
  unsigned last = last_day_of(ymd.year() / ymd.month());
  if (r.by_day.empty() && r.by_month_day.empty()) return d == start_day;
  bool ok = true;
  if (!r.by_month_day.empty())
    ok = std::any_of(r.by_month_day.begin(), r.by_month_day.end(), [&](int md) {
      return md > 0 ? static_cast<unsigned>(md) == d : static_cast<int>(last) + 1 + md == static_cast<int>(d);
    });
  if (ok && !r.by_day.empty())
    ok = std::any_of(r.by_day.begin(), r.by_day.end(), [&](const std::pair<int, unsigned>& bd) {
      if (bd.second != weekday) return false;
      if (bd.first > 0) return static_cast<int>((d - 1) / 7 + 1) == bd.first;
      if (bd.first < 0) return static_cast<int>((last - d) / 7 + 1) == -bd.first;
      return true;
    });
  return ok;
}

bool day_matches(const Recurrence& r, date::sys_days day, date::sys_days start) {
  if (day < start) return false;
  date::year_month_day ymd{day}, s{start};
  unsigned wd = date::weekday{day}.c_encoding();
  if (!r.by_month.empty() &&
      std::find(r.by_month.begin(), r.by_month.end(), static_cast<unsigned>(ymd.month())) == r.by_month.end())
    return false;
  auto has_day = [&](unsigned w) {
    return std::any_of(r.by_day.begin(), r.by_day.end(), [&](const auto& bd) { return bd.second == w; });
  };
  switch (r.freq) {
    case Recurrence::Freq::daily: {
      if ((day - start).count() % r.interval != 0) return false;
      if (!r.by_day.empty() && !has_day(wd)) return false;
      return r.by_month_day.empty() || month_day_matches(r, ymd, wd, 0);
    }
    case Recurrence::Freq::weekly: {
      auto monday = [](date::sys_days x) { return x - date::days{(date::weekday{x}.c_encoding() + 6) % 7}; };
      if (((monday(day) - monday(start)).count() / 7) % r.interval != 0) return false;
      return r.by_day.empty() ? wd == date::weekday{start}.c_encoding() : has_day(wd);
    }
    case Recurrence::Freq::monthly: {
      int months = (static_cast<int>(ymd.year()) - static_cast<int>(s.year())) * 12 +
                   static_cast<int>(static_cast<unsigned>(ymd.month())) - static_cast<int>(static_cast<unsigned>(s.month()));
      if (months % r.interval != 0) return false;
      return month_day_matches(r, ymd, wd, static_cast<unsigned>(s.day()));
    }
    case Recurrence::Freq::yearly: {
      if ((static_cast<int>(ymd.year()) - static_cast<int>(s.year())) % r.interval != 0) return false;
      if (r.by_month.empty() && ymd.month() != s.month()) return false;
      return month_day_matches(r, ymd, wd, static_cast<unsigned>(s.day()));
    }
  }
  return false;
}

// Local time → UTC, the RFC 5545 way: a time in a DST gap moves later by the gap, a time that
// happens twice takes the first.
Timestamp to_utc(date::local_seconds local, const date::time_zone* tz) {
  // In both the gap and the overlap, `first` is the offset in force before the change: for a
  // gap that reads the skipped time with the old offset (it lands after the gap by as much as
  // it was into it); for an overlap it is the earlier of the two instants.
  auto info = tz->get_info(local);
  return Timestamp{local.time_since_epoch() - info.first.offset};
}

}  // namespace

Recurrence parse_recurrence(std::string_view text) {
  std::string t(text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
  if (t.empty()) throw not_understood(text, "it is empty");
  std::string upper = t;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper.rfind("RRULE:", 0) == 0 || upper.rfind("FREQ=", 0) == 0 || upper.find(";FREQ=") != std::string::npos)
    return parse_rrule(t);
  return parse_readable(t);
}

std::optional<Timestamp> next_occurrence(const Recurrence& r, Timestamp start, const date::time_zone* tz,
                                         Timestamp after) {
  auto local_start = tz->to_local(start);
  auto start_day = date::floor<date::days>(local_start);
  std::vector<int> times = r.times;
  if (times.empty()) times.push_back(static_cast<int>(date::floor<minutes>(local_start - start_day).count()));
  Timestamp from = std::max(after, start - seconds{1});
  // Begin a day early: the local date of `from` may be behind or ahead of its UTC date.
  auto day = std::max(start_day, date::floor<date::days>(tz->to_local(from)) - date::days{1});
  auto end = day + date::days{366 * 20};
  for (; day < end; day += date::days{1}) {
    if (!day_matches(r, date::sys_days{day.time_since_epoch()}, date::sys_days{start_day.time_since_epoch()})) continue;
    for (int m : times) {
      Timestamp t = to_utc(day + minutes{m}, tz);
      if (t < start || t <= from) continue;
      if (r.until && t > *r.until) return std::nullopt;
      return t;
    }
  }
  return std::nullopt;
}

std::string Recurrence::to_rrule() const {
  static const std::array<const char*, 4> k_freq{"DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
  std::string s = std::string("FREQ=") + k_freq[static_cast<size_t>(freq)];
  if (interval > 1) s += ";INTERVAL=" + std::to_string(interval);
  auto join = [](const auto& v, auto f) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + f(x);
    return out;
  };
  if (!by_day.empty())
    s += ";BYDAY=" + join(by_day, [](const std::pair<int, unsigned>& d) {
           return (d.first ? std::to_string(d.first) : std::string()) + k_rrule_days[d.second];
         });
  if (!by_month_day.empty()) s += ";BYMONTHDAY=" + join(by_month_day, [](int d) { return std::to_string(d); });
  if (!by_month.empty()) s += ";BYMONTH=" + join(by_month, [](unsigned m) { return std::to_string(m); });
  if (!times.empty()) {
    std::vector<int> hours, mins;
    for (int t : times) {
      if (std::find(hours.begin(), hours.end(), t / 60) == hours.end()) hours.push_back(t / 60);
      if (std::find(mins.begin(), mins.end(), t % 60) == mins.end()) mins.push_back(t % 60);
    }
    if (hours.size() * mins.size() == times.size()) {
      s += ";BYHOUR=" + join(hours, [](int h) { return std::to_string(h); });
      s += ";BYMINUTE=" + join(mins, [](int m) { return std::to_string(m); });
    } else {
      s += ";X-CRIER-TIMES=" + join(times, [](int t) {
             char buf[32];
             std::snprintf(buf, sizeof buf, "%02d%02d", t / 60, t % 60);
             return std::string(buf);
           });
    }
  }
  if (count) s += ";COUNT=" + std::to_string(*count);
  if (until) s += ";UNTIL=" + date::format("%Y%m%dT%H%M%SZ", *until);
  return s;
}

std::string Recurrence::describe() const {
  static const std::array<const char*, 4> k_unit{"day", "week", "month", "year"};
  std::string s = interval > 1 ? "every " + std::to_string(interval) + " " + k_unit[static_cast<size_t>(freq)] + "s"
                               : std::string("every ") + k_unit[static_cast<size_t>(freq)];
  if (!by_month.empty()) {
    s += " in";
    for (unsigned m : by_month) s += std::string(" ") + k_months[m - 1];
  }
  if (!by_day.empty()) {
    s += " on";
    for (const auto& [ord, wd] : by_day)
      s += " " + (ord == 0 ? std::string() : ord == -1 ? "last " : std::to_string(ord) + ". ") + k_day_names[wd];
  }
  if (!by_month_day.empty()) {
    s += " on day";
    for (int d : by_month_day) s += " " + (d == -1 ? std::string("last") : std::to_string(d));
  }
  if (!times.empty()) {
    s += " at";
    for (int t : times) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " %02d:%02d", t / 60, t % 60);
      s += buf;
    }
  }
  return s;
}

}  // namespace crier
