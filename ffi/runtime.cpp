/*
 * runtime.cpp: the worker thread, error handling and JSON reader of runtime.h.
 */
#include "runtime.h"

// defines: at::get_num_threads, at::set_num_threads, c10::Error
#include <torch/torch.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "cpu_fastpath.h"

namespace cllm {

namespace {

std::atomic<int> g_num_threads{0};  // requested intra-op threads (0 = leave libtorch's)

// OpenMP keeps the thread count per thread: applied on the worker thread before each call.
void apply_threads_() {
  int n = g_num_threads.load();
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
  ops::configure_blas();
}

// All libtorch work runs on one worker thread owned by the library. Deno runs nonblocking
// calls on a pool of threads; left there, every new thread got its own OpenMP pool and
// glibc malloc arena (peak RSS doubled in the training benchmark), and the thread count,
// being per thread under OpenMP, had to be re-applied on each. The caller's thread waits.
class Worker {
 public:
  Worker() : thread_([this] { loop_(); }) { thread_.detach(); }
  void run(const std::function<void()> &fn) {
    std::packaged_task<void()> task(fn);
    auto done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    done.get();  // rethrows the task's exception on the caller's thread
  }

 private:
  void loop_() {
    while (true) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
  std::thread thread_;
};

// Leaked on purpose: the detached thread lives until the process ends, and no static
// destructor may wait for it during exit().
Worker &worker_() {
  static Worker *w = new Worker();
  return *w;
}

}  // namespace

void set_num_threads(int n) { g_num_threads = n; }

int guard(std::string &error, const std::function<void()> &body) {
  try {
    error.clear();
    worker_().run([&] {
      apply_threads_();
      body();
    });
    return CLLM_OK;
  } catch (const Error &e) {
    error = e.what();
    return e.status;
  } catch (const c10::Error &e) {
    std::string what = e.what_without_backtrace();
    // keep the first line of a CUDA out-of-memory report, which says how much was asked for
    if (what.find("out of memory") != std::string::npos) {
      error = "GPU out of memory: " + what.substr(0, what.find('\n')) + " (a smaller batch size needs less)";
    } else {
      error = "libtorch: " + what;
    }
    return CLLM_ERR_TORCH;
  } catch (const std::exception &e) {
    error = std::string("C++ exception: ") + e.what();
    return CLLM_ERR_INTERNAL;
  } catch (...) {
    error = "unknown C++ exception";
    return CLLM_ERR_INTERNAL;
  }
}

// ----------------------------------------------------------------------------
// the flat JSON object reader

JsonObject parse_flat_json(const char *s) {
  CLLM_CHECK(s != nullptr, CLLM_ERR_ARGUMENT, "options JSON is NULL");
  JsonObject out;
  size_t i = 0, n = std::strlen(s);
  auto ws = [&] { while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) i++; };
  auto str = [&] {
    CLLM_CHECK(i < n && s[i] == '"', CLLM_ERR_ARGUMENT, "bad JSON: string expected at " << i);
    std::string r;
    for (i++; i < n && s[i] != '"'; i++) {
      if (s[i] == '\\' && i + 1 < n) {
        char e = s[++i];
        r += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        r += s[i];
      }
    }
    CLLM_CHECK(i < n, CLLM_ERR_ARGUMENT, "bad JSON: unterminated string");
    i++;
    return r;
  };
  ws();
  CLLM_CHECK(i < n && s[i] == '{', CLLM_ERR_ARGUMENT, "bad JSON: object expected");
  i++;
  ws();
  if (i < n && s[i] == '}') return out;
  while (true) {
    ws();
    std::string key = str();
    ws();
    CLLM_CHECK(i < n && s[i] == ':', CLLM_ERR_ARGUMENT, "bad JSON: ':' expected after \"" << key << "\"");
    i++;
    ws();
    JsonValue v;
    if (i < n && s[i] == '"') {
      v.kind = JsonValue::String;
      v.text = str();
    } else if (std::strncmp(s + i, "true", 4) == 0) {
      v.kind = JsonValue::Bool, v.flag = true, i += 4;
    } else if (std::strncmp(s + i, "false", 5) == 0) {
      v.kind = JsonValue::Bool, i += 5;
    } else if (std::strncmp(s + i, "null", 4) == 0) {
      i += 4;
    } else {
      char *end = nullptr;
      v.number = std::strtod(s + i, &end);
      CLLM_CHECK(end != s + i, CLLM_ERR_ARGUMENT, "bad JSON: value expected for \"" << key << "\"");
      v.kind = JsonValue::Number;
      i = end - s;
    }
    out[key] = v;
    ws();
    if (i < n && s[i] == ',') { i++; continue; }
    CLLM_CHECK(i < n && s[i] == '}', CLLM_ERR_ARGUMENT, "bad JSON: ',' or '}' expected");
    return out;
  }
}

double num(const JsonObject &j, const char *key, double dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->second.kind == JsonValue::Null) return dflt;
  CLLM_CHECK(it->second.kind == JsonValue::Number, CLLM_ERR_ARGUMENT, "option " << key << " must be a number");
  return it->second.number;
}
bool flag(const JsonObject &j, const char *key, bool dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->second.kind == JsonValue::Null) return dflt;
  CLLM_CHECK(it->second.kind == JsonValue::Bool, CLLM_ERR_ARGUMENT, "option " << key << " must be a boolean");
  return it->second.flag;
}
std::string text(const JsonObject &j, const char *key, const std::string &dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->second.kind == JsonValue::Null) return dflt;
  CLLM_CHECK(it->second.kind == JsonValue::String, CLLM_ERR_ARGUMENT, "option " << key << " must be a string");
  return it->second.text;
}

}  // namespace cllm
