#include "log.hpp"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <thread>

namespace orgscim::plugin {

namespace {

void stderr_sink(std::string_view line) {
    // One write() per line keeps lines from different threads whole (below PIPE_BUF they are
    // atomic on pipes; on files O_APPEND-like behaviour of fd 2 does the rest).
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(2, p, left);
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

std::atomic<log_sink> g_sink{&stderr_sink};

// Access lines on stderr go out in batches once the program asks for it (batch_access_lines):
// a write() per request was 4 % of a GET's CPU. A batch leaves at most `delay` after its first
// line (or when it reaches `full`); warn, error and info lines go out at once, after the batch
// before them, so that each thread's lines keep their order. At exit the writer thread stops
// and the batch is written; a process killed with SIGKILL loses at most `delay` of access lines.
class batched_stderr {
  public:
    static batched_stderr& get() {
        // Never destroyed: a line logged while statics are torn down still finds it.
        static auto* b = new batched_stderr;
        return *b;
    }

    void access(std::string_view line) {
        std::unique_lock lk(mu_);
        if (exiting_) return write(lk, line);
        const bool first = buf_.empty();
        buf_.append(line);
        if (buf_.size() >= full) return write(lk, {});
        if (first) {
            if (!thread_.joinable()) start();
            cv_.notify_one();
        }
    }

    void now(std::string_view line) {
        std::unique_lock lk(mu_);
        write(lk, line);
    }

  private:
    static constexpr std::size_t full = 64 * 1024;
    static constexpr auto delay = std::chrono::milliseconds(50);

    void start() {
        thread_ = std::thread([this] { run(); });
        std::atexit([] { get().stop(); });
    }

    void stop() {
        {
            std::lock_guard lk(mu_);
            exiting_ = true;
        }
        cv_.notify_all();
        thread_.join();
        std::unique_lock lk(mu_);
        write(lk, {});
    }

    void run() {
        std::unique_lock lk(mu_);
        for (;;) {
            cv_.wait(lk, [this] { return exiting_ || !buf_.empty(); });
            if (exiting_) return;
            cv_.wait_for(lk, delay, [this] { return exiting_; });
            write(lk, {});
            lk.lock();
        }
    }

    // Writes the batch, then `line`, outside mu_ so that loggers do not wait for the write;
    // write_mu_ is taken before mu_ is let go, so writes keep the order of their lines.
    // Returns with mu_ released.
    void write(std::unique_lock<std::mutex>& lk, std::string_view line) {
        std::lock_guard w(write_mu_);
        buf_.swap(out_);
        lk.unlock();
        if (!out_.empty()) stderr_sink(out_);
        out_.clear();
        if (!line.empty()) stderr_sink(line);
    }

    std::mutex mu_;        // buf_, thread_, exiting_
    std::mutex write_mu_;  // out_ and fd 2
    std::condition_variable cv_;
    std::string buf_, out_;
    std::thread thread_;
    bool exiting_ = false;
};

std::atomic<bool> g_batch{false};

void to_sink(std::string_view line, bool access) {
    const log_sink sink = g_sink.load(std::memory_order_relaxed);
    if (sink != &stderr_sink) return sink(line);
    if (!g_batch.load(std::memory_order_relaxed)) return stderr_sink(line);
    if (access) return batched_stderr::get().access(line);
    batched_stderr::get().now(line);
}

// Formatting the calendar date costs more than the rest of a line; each thread keeps the text of
// the current second and appends only the milliseconds.
void append_time(std::string& out) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    thread_local std::time_t cached_secs = -1;
    thread_local char cached[80];
    if (secs != cached_secs) {
        std::tm tm{};
        gmtime_r(&secs, &tm);
        std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_secs = secs;
    }
    out += cached;
    const int milli = static_cast<int>(ms % 1000);
    out += static_cast<char>('0' + milli / 100);
    out += static_cast<char>('0' + milli / 10 % 10);
    out += static_cast<char>('0' + milli % 10);
    out += 'Z';
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out += ",\"";
    append_json_escaped(out, name);
    out += "\":\"";
    append_json_escaped(out, value);
    out += '"';
}

void append_number(std::string& out, std::string_view name, long long value) {
    out += ",\"";
    out += name;
    out += "\":";
    out += std::to_string(value);
}

void emit(std::string_view level, std::string_view msg, log_fields fields) {
    std::string line;
    line.reserve(160);
    line += "{\"time\":\"";
    append_time(line);
    line += "\",\"level\":\"";
    line += level;
    line += '"';
    append_field(line, "msg", msg);
    for (const auto& [k, v] : fields) append_field(line, k, v);
    line += "}\n";
    to_sink(line, false);
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    out += "\\u00";
                    out += hex[u >> 4];
                    out += hex[u & 0xf];
                } else {
                    out += c;
                }
        }
    }
}

void log_info(std::string_view msg, log_fields fields) { emit("info", msg, fields); }
void log_warn(std::string_view msg, log_fields fields) { emit("warn", msg, fields); }
void log_error(std::string_view msg, log_fields fields) { emit("error", msg, fields); }

void log_access(const access_record& r) {
    thread_local std::string line;  // reused: no allocation per request once warm
    line.clear();
    line += "{\"time\":\"";
    append_time(line);
    line += "\",\"level\":\"info\",\"msg\":\"access\"";
    append_field(line, "method", r.method);
    append_field(line, "route", r.route);
    append_field(line, "path", r.path);
    append_number(line, "status", r.status);
    // to_chars, not snprintf: printf's floating-point path was a third of this function.
    char dur[32];
    const auto [end, ec] =
        std::to_chars(dur, dur + sizeof dur, r.duration_ms, std::chars_format::fixed, 3);
    line += ",\"duration_ms\":";
    if (ec == std::errc()) {
        line.append(dur, static_cast<std::size_t>(end - dur));
    } else {
        line += '0';  // not a duration a request can take
    }
    append_number(line, "bytes", static_cast<long long>(r.bytes));
    if (!r.org.empty()) append_field(line, "org", r.org);
    if (!r.credential_id.empty()) append_field(line, "credential", r.credential_id);
    if (!r.remote.empty()) append_field(line, "remote", r.remote);
    line += "}\n";
    to_sink(line, true);
}

void batch_access_lines() noexcept { g_batch.store(true, std::memory_order_relaxed); }

void set_log_sink(log_sink sink) noexcept {
    g_sink.store(sink ? sink : &stderr_sink, std::memory_order_relaxed);
}

}  // namespace orgscim::plugin
