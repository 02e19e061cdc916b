/*
 * runtime.h: what every call of the C ABI runs through, and nothing of the model:
 *
 * - errors: CLLM_CHECK throws a cllm::Error with a status of crystallm.h, and guard()
 *   turns any C++ exception into a status and a message, so nothing ever reaches Deno;
 * - the worker thread that runs all libtorch work (guard() hands each call body to it);
 * - a reader for the flat JSON objects of option sets ({"key": number | string | bool | null}).
 */
#ifndef CLLM_RUNTIME_H
#define CLLM_RUNTIME_H

#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "crystallm.h"

namespace cllm {

/** An error with a status of crystallm.h (CLLM_ERR_*). */
struct Error : std::runtime_error {
  int status;
  Error(int s, const std::string &msg) : std::runtime_error(msg), status(s) {}
};

// CLLM_CHECK(cond, status, msg): fail with "file:line: msg" (llm.c's *Check, minus exit()).
#define CLLM_CHECK(cond, status, msg)                                                     \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::ostringstream os_;                                                             \
      os_ << __FILE__ << ":" << __LINE__ << ": " << msg;                                  \
      throw ::cllm::Error((status), os_.str());                                           \
    }                                                                                     \
  } while (0)

/** Intra-op threads for every later call (applied on the worker thread); n > 0. */
void set_num_threads(int n);

/**
 * Run body on the worker thread and wait for it. Returns CLLM_OK, or the status of what it
 * threw with the message in `error` (cleared first).
 */
int guard(std::string &error, const std::function<void()> &body);

/** One value of a flat JSON object. */
struct JsonValue {
  enum Kind { Null, Number, String, Bool } kind = Null;
  double number = 0;
  std::string text;
  bool flag = false;
};
using JsonObject = std::map<std::string, JsonValue>;

/** Parse a flat JSON object; CLLM_ERR_ARGUMENT for NULL or bad JSON. */
JsonObject parse_flat_json(const char *s);
/** The number at key, dflt when absent or null; CLLM_ERR_ARGUMENT for another type. */
double num(const JsonObject &j, const char *key, double dflt);
/** The boolean at key, likewise. */
bool flag(const JsonObject &j, const char *key, bool dflt);
/** The string at key, likewise. */
std::string text(const JsonObject &j, const char *key, const std::string &dflt);

}  // namespace cllm

#endif  // CLLM_RUNTIME_H
