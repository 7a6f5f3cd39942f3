#include "trace/trace_sink.h"

#include "trace/atomic_file.h"
#include "trace/chrome_trace_writer.h"
#include "trace/csv_trace_writer.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace loopscope {

namespace {

// Formatted text is handed to the file in slices of about this size: large enough for few
// system calls, small enough to keep memory flat however long the session.
constexpr std::size_t kFlushBytes = 1 << 20;

bool endsWithNoCase(const std::string& text, std::string_view suffix)
{
    if (text.size() < suffix.size())
        return false;
    return std::equal(suffix.begin(), suffix.end(), text.end() - std::ptrdiff_t(suffix.size()),
                      [](char lower, char c) { return std::tolower(static_cast<unsigned char>(c)) == lower; });
}

// One sink = one writer (formats) + one AtomicFile (stores). Writers share this shape:
// add(records, n), finish(info), output().
template <typename Writer>
class FileTraceSink final : public TraceSink {
public:
    explicit FileTraceSink(const TraceInfo& info)
        : m_writer(info)
    {
    }

    bool open(const std::string& path, AtomicFile::Compression compression, std::string& error)
    {
        return m_file.open(path, compression, error);
    }

    void write(const EventRecord* records, std::size_t count) override
    {
        // After a failed write there is nothing to gain from formatting more.
        if (m_finished || m_file.failed())
            return;
        m_writer.add(records, count);
        if (m_writer.output().size() >= kFlushBytes)
            flush();
    }

    bool finish(const TraceInfo& info, std::string& error) override
    {
        if (m_finished) {
            error = "Cannot write trace to " + m_file.destination() + ": it was already finished; export again.";
            return false;
        }
        m_finished = true;
        if (!m_file.failed()) {
            m_writer.finish(info);
            flush();
        }
        return m_file.commit(error);
    }

private:
    void flush()
    {
        m_file.write(m_writer.output().view());
        m_writer.output().clear();
    }

    Writer m_writer;
    AtomicFile m_file;
    bool m_finished = false;
};

template <typename Writer>
std::unique_ptr<TraceSink> openSink(const std::string& path, AtomicFile::Compression compression,
                                    const TraceInfo& info, std::string& error)
{
    auto sink = std::make_unique<FileTraceSink<Writer>>(info);
    if (!sink->open(path, compression, error))
        return nullptr;
    return sink;
}

} // namespace

bool traceFormatForPath(const std::string& path, TraceFormat& format)
{
    if (endsWithNoCase(path, ".json")) {
        format = TraceFormat::ChromeJson;
        return true;
    }
    if (endsWithNoCase(path, ".gz")) { // covers ".json.gz"
        format = TraceFormat::ChromeJsonGz;
        return true;
    }
    if (endsWithNoCase(path, ".csv")) {
        format = TraceFormat::Csv;
        return true;
    }
    return false;
}

std::unique_ptr<TraceSink> openTraceSink(const std::string& path, TraceFormat format,
                                         const TraceInfo& info, std::string& error)
{
    switch (format) {
    case TraceFormat::ChromeJson:
        return openSink<ChromeTraceWriter>(path, AtomicFile::Compression::None, info, error);
    case TraceFormat::ChromeJsonGz:
        return openSink<ChromeTraceWriter>(path, AtomicFile::Compression::Gzip, info, error);
    case TraceFormat::Csv:
        return openSink<CsvTraceWriter>(path, AtomicFile::Compression::None, info, error);
    }
    error = "Cannot write trace to " + path + ": unknown trace format; choose .json, .json.gz or .csv.";
    return nullptr;
}

} // namespace loopscope
