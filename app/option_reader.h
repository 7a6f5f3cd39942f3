// Reading the command lines of loopscope-server and loopscope-load (no Qt, so the headless
// programs stay dependency-free): option values and numbers in a range, each failure as one
// sentence in `error` ("--port needs a port number from 0 to 65535 (got 'x'); see --help.").
#pragma once

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace loopscope::options {

// A number in [min, max] (a whole one if `whole`), the whole text and nothing else.
inline bool parseNumber(const std::string& text, double min, double max, bool whole, double& out)
{
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && std::isfinite(out) && out >= min && out <= max
           && (!whole || out == std::floor(out));
}

inline std::string rangeError(const std::string& option, const std::string& what, const std::string& got)
{
    return option + " needs " + what + " (got '" + got + "'); see --help.";
}

struct Reader {
    const std::vector<std::string>& args;
    std::size_t i = 0;
    std::string& error;

    // The value after `option` (args[i]), moving past it.
    bool value(const std::string& option, std::string& out)
    {
        if (i + 1 >= args.size()) {
            error = option + " needs a value; see --help.";
            return false;
        }
        out = args[++i];
        return true;
    }

    // `what` describes the accepted values for the error sentence.
    bool number(const std::string& option, double min, double max, const std::string& what, double& out,
                bool whole = false)
    {
        std::string text;
        if (!value(option, text))
            return false;
        if (!parseNumber(text, min, max, whole, out)) {
            error = rangeError(option, what, text);
            return false;
        }
        return true;
    }

    // A whole number in [min, max], described as such.
    bool count(const std::string& option, unsigned min, unsigned max, unsigned& out)
    {
        double n = 0;
        const std::string what = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
        if (!number(option, min, max, what, n, true))
            return false;
        out = unsigned(n);
        return true;
    }
};

} // namespace loopscope::options
