// Response heads, HTTP dates, content types and reason phrases.
#include "http/response.h"

#include <QtTest>

using namespace loopscope;

class TstResponse : public QObject {
    Q_OBJECT
private slots:
    void formatsDates_data();
    void formatsDates();
    void formatsDatesAsGmtimeDoes();
    void parsesDates_data();
    void parsesDates();
    void refusesDates_data();
    void refusesDates();
    void datesRoundTrip_data();
    void datesRoundTrip();
    void contentTypes_data();
    void contentTypes();
    void reasonPhrases_data();
    void reasonPhrases();
    void responseHead_data();
    void responseHead();
    void responseHeadAppends();
    void responseHeadWithoutDate();
    void errorBodies_data();
    void errorBodies();
};

static constexpr std::time_t kRfcExample = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT

void TstResponse::formatsDates_data()
{
    QTest::addColumn<qint64>("time");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("RFC example") << qint64(kRfcExample) << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT");
    QTest::newRow("epoch") << qint64(0) << QByteArray("Thu, 01 Jan 1970 00:00:00 GMT");
    QTest::newRow("leap day") << qint64(951782400) << QByteArray("Tue, 29 Feb 2000 00:00:00 GMT");
    QTest::newRow("end of 2038") << qint64(2147483647) << QByteArray("Tue, 19 Jan 2038 03:14:07 GMT");
    QTest::newRow("last four-digit second") << qint64(253402300799) << QByteArray("Fri, 31 Dec 9999 23:59:59 GMT");
    QTest::newRow("five-digit year falls back") << qint64(253402300800) << QByteArray("Thu, 01 Jan 1970 00:00:00 GMT");
    QTest::newRow("before the epoch") << qint64(-1) << QByteArray("Wed, 31 Dec 1969 23:59:59 GMT");
    QTest::newRow("first second of year 0") << qint64(-62167219200) << QByteArray("Sat, 01 Jan 0000 00:00:00 GMT");
    QTest::newRow("year -1 falls back") << qint64(-62167219201) << QByteArray("Thu, 01 Jan 1970 00:00:00 GMT");
    QTest::newRow("1900 is no leap year") << qint64(-2203891200) << QByteArray("Thu, 01 Mar 1900 00:00:00 GMT");
    QTest::newRow("2100 is no leap year") << qint64(4107542400) << QByteArray("Mon, 01 Mar 2100 00:00:00 GMT");
}

// The date arithmetic against the C library's gmtime_r + strftime, over every day boundary of
// years 0-9999 sampled with a stride that visits every weekday, month and leap rule, and seconds
// within a day.
void TstResponse::formatsDatesAsGmtimeDoes()
{
    const auto reference = [](std::time_t t) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        // strftime's %Y does not pad years below 1000 to four digits; HTTP dates do.
        static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        char text[64];
        std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                      tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return QByteArray(text);
    };
    constexpr qint64 kFirst = -62167219200; // 0000-01-01
    constexpr qint64 kLast = 253402300799;  // 9999-12-31 23:59:59
    int checked = 0;
    for (qint64 t = kFirst; t <= kLast; t += 86'400LL * 37 + 3'671) { // drifts through each day
        const std::time_t time = std::time_t(t);
        const QByteArray ours = QByteArray::fromStdString(formatHttpDate(time));
        if (ours != reference(time))
            QFAIL(qPrintable(QString("%1: %2, gmtime says %3").arg(t).arg(ours, reference(time))));
        ++checked;
    }
    QVERIFY(checked > 90'000);
}

void TstResponse::formatsDates()
{
    QFETCH(qint64, time);
    QFETCH(QByteArray, text);
    QCOMPARE(QByteArray::fromStdString(formatHttpDate(std::time_t(time))), text);
}

void TstResponse::parsesDates_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qint64>("time");
    QTest::newRow("IMF-fixdate") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << qint64(kRfcExample);
    QTest::newRow("RFC 850") << QByteArray("Sunday, 06-Nov-94 08:49:37 GMT") << qint64(kRfcExample);
    QTest::newRow("asctime") << QByteArray("Sun Nov  6 08:49:37 1994") << qint64(kRfcExample);
    QTest::newRow("asctime two-digit day") << QByteArray("Wed Nov 16 08:49:37 1994") << qint64(kRfcExample + 10 * 86400);
    QTest::newRow("asctime zero-padded day") << QByteArray("Sun Nov 06 08:49:37 1994") << qint64(kRfcExample);
    QTest::newRow("RFC 850 recent year") << QByteArray("Thursday, 01-Jan-26 00:00:00 GMT") << qint64(1767225600);
    QTest::newRow("leap day") << QByteArray("Tue, 29 Feb 2000 00:00:00 GMT") << qint64(951782400);
    QTest::newRow("leap second") << QByteArray("Sat, 31 Dec 2016 23:59:60 GMT") << qint64(1483228800);
    QTest::newRow("weekday not checked") << QByteArray("Mon, 06 Nov 1994 08:49:37 GMT") << qint64(kRfcExample);
}

void TstResponse::parsesDates()
{
    QFETCH(QByteArray, text);
    QFETCH(qint64, time);
    const std::optional<std::time_t> parsed = parseHttpDate(std::string_view(text.constData(), text.size()));
    QVERIFY(parsed.has_value());
    QCOMPARE(qint64(*parsed), time);
}

void TstResponse::refusesDates_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("garbage") << QByteArray("yesterday");
    QTest::newRow("number") << QByteArray("784111777");
    QTest::newRow("UTC instead of GMT") << QByteArray("Sun, 06 Nov 1994 08:49:37 UTC");
    QTest::newRow("no zone") << QByteArray("Sun, 06 Nov 1994 08:49:37");
    QTest::newRow("trailing space") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT ");
    QTest::newRow("leading space") << QByteArray(" Sun, 06 Nov 1994 08:49:37 GMT");
    QTest::newRow("lower-case day") << QByteArray("sun, 06 Nov 1994 08:49:37 GMT");
    QTest::newRow("lower-case month") << QByteArray("Sun, 06 nov 1994 08:49:37 GMT");
    QTest::newRow("unknown month") << QByteArray("Sun, 06 Nob 1994 08:49:37 GMT");
    QTest::newRow("one-digit day") << QByteArray("Sun, 6 Nov 1994 08:49:37 GMT");
    QTest::newRow("two-digit year in fixdate") << QByteArray("Sun, 06 Nov 94 08:49:37 GMT");
    QTest::newRow("day 32") << QByteArray("Sun, 32 Nov 1994 08:49:37 GMT");
    QTest::newRow("day 0") << QByteArray("Sun, 00 Nov 1994 08:49:37 GMT");
    QTest::newRow("February 30") << QByteArray("Sun, 30 Feb 1994 08:49:37 GMT");
    QTest::newRow("February 29 not leap") << QByteArray("Tue, 29 Feb 1900 00:00:00 GMT");
    QTest::newRow("hour 24") << QByteArray("Sun, 06 Nov 1994 24:00:00 GMT");
    QTest::newRow("minute 60") << QByteArray("Sun, 06 Nov 1994 08:60:00 GMT");
    QTest::newRow("second 61") << QByteArray("Sun, 06 Nov 1994 08:49:61 GMT");
    QTest::newRow("RFC 850 short day name") << QByteArray("Sun, 06-Nov-94 08:49:37 GMT");
    QTest::newRow("asctime with zone") << QByteArray("Sun Nov  6 08:49:37 1994 GMT");
    QTest::newRow("ISO 8601") << QByteArray("1994-11-06T08:49:37Z");
}

void TstResponse::refusesDates()
{
    QFETCH(QByteArray, text);
    QVERIFY(!parseHttpDate(std::string_view(text.constData(), text.size())).has_value());
}

void TstResponse::datesRoundTrip_data()
{
    QTest::addColumn<qint64>("time");
    for (const qint64 t : {qint64(0), qint64(1), qint64(kRfcExample), qint64(951868799), qint64(1700000000),
                           qint64(2147483648), qint64(4102444800)})
        QTest::addRow("t=%lld", static_cast<long long>(t)) << t;
}

void TstResponse::datesRoundTrip()
{
    QFETCH(qint64, time);
    const std::string text = formatHttpDate(std::time_t(time));
    const std::optional<std::time_t> parsed = parseHttpDate(text);
    QVERIFY2(parsed.has_value(), text.c_str());
    QCOMPARE(qint64(*parsed), time);
}

void TstResponse::contentTypes_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("type");
    const struct {
        const char* path;
        const char* type;
    } rows[] = {
        {"/index.html", "text/html; charset=utf-8"},
        {"/old.htm", "text/html; charset=utf-8"},
        {"/style.css", "text/css; charset=utf-8"},
        {"/app.js", "text/javascript; charset=utf-8"},
        {"/module.mjs", "text/javascript; charset=utf-8"},
        {"/data.json", "application/json"},
        {"/notes.txt", "text/plain; charset=utf-8"},
        {"/feed.xml", "application/xml"},
        {"/logo.svg", "image/svg+xml"},
        {"/a.png", "image/png"},
        {"/a.jpg", "image/jpeg"},
        {"/a.jpeg", "image/jpeg"},
        {"/a.gif", "image/gif"},
        {"/a.webp", "image/webp"},
        {"/favicon.ico", "image/x-icon"},
        {"/app.wasm", "application/wasm"},
        {"/doc.pdf", "application/pdf"},
        {"/a.zip", "application/zip"},
        {"/a.tar.gz", "application/gzip"},
        {"/clip.mp4", "video/mp4"},
        {"/clip.webm", "video/webm"},
        {"/song.mp3", "audio/mpeg"},
        {"/font.woff", "font/woff"},
        {"/font.woff2", "font/woff2"},
        {"/font.ttf", "font/ttf"},
        {"/table.csv", "text/csv; charset=utf-8"},
        {"/README.md", "text/markdown; charset=utf-8"},
        {"/UPPER.HTML", "text/html; charset=utf-8"},
        {"/Mixed.Png", "image/png"},
        {"relative/no-slash.css", "text/css; charset=utf-8"},
        {"/no-extension", "application/octet-stream"},
        {"/unknown.xyz", "application/octet-stream"},
        {"/dir.html/file", "application/octet-stream"},
        {"/.htaccess", "application/octet-stream"},
        {"/trailing.", "application/octet-stream"},
        {"/very.longextension", "application/octet-stream"},
        {"/", "application/octet-stream"},
        {"", "application/octet-stream"},
    };
    for (const auto& row : rows)
        QTest::newRow(row.path[0] ? row.path : "(empty)") << QByteArray(row.path) << QByteArray(row.type);
}

void TstResponse::contentTypes()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, type);
    const std::string_view result = contentTypeFor(std::string_view(path.constData(), path.size()));
    QCOMPARE(QByteArray(result.data(), qsizetype(result.size())), type);
}

void TstResponse::reasonPhrases_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("phrase");
    const struct {
        int status;
        const char* phrase;
    } rows[] = {
        {200, "OK"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {304, "Not Modified"},
        {400, "Bad Request"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {416, "Range Not Satisfiable"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
        {299, "Unknown"},
        {0, "Unknown"},
        {-1, "Unknown"},
    };
    for (const auto& row : rows)
        QTest::addRow("%d", row.status) << row.status << QByteArray(row.phrase);
}

void TstResponse::reasonPhrases()
{
    QFETCH(int, status);
    QFETCH(QByteArray, phrase);
    const std::string_view result = reasonPhrase(status);
    QCOMPARE(QByteArray(result.data(), qsizetype(result.size())), phrase);
}

static const char kDate[] = "Sun, 06 Nov 1994 08:49:37 GMT";

void TstResponse::responseHead_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("200 file") << 0
        << QByteArray("HTTP/1.1 200 OK\r\nServer: loopscope\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Type: text/html; charset=utf-8\r\nContent-Length: 1234\r\n"
                      "Last-Modified: Thu, 01 Jan 1970 00:00:01 GMT\r\nAccept-Ranges: bytes\r\n"
                      "Connection: keep-alive\r\n\r\n");
    QTest::newRow("206 range closing") << 1
        << QByteArray("HTTP/1.1 206 Partial Content\r\nServer: loopscope\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Type: image/png\r\nContent-Length: 100\r\n"
                      "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Range: bytes 0-99/1000\r\n"
                      "Accept-Ranges: bytes\r\nConnection: close\r\n\r\n");
    QTest::newRow("301 redirect") << 2
        << QByteArray("HTTP/1.1 301 Moved Permanently\r\nServer: loopscope\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\nLocation: /docs/\r\n"
                      "Connection: keep-alive\r\n\r\n");
    QTest::newRow("405 with Allow") << 3
        << QByteArray("HTTP/1.1 405 Method Not Allowed\r\nServer: loopscope\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Length: 0\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n");
    QTest::newRow("416 no type") << 4
        << QByteArray("HTTP/1.1 416 Range Not Satisfiable\r\nServer: loopscope\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Length: 0\r\nContent-Range: bytes */1000\r\nConnection: keep-alive\r\n\r\n");
    QTest::newRow("huge length") << 5
        << QByteArray("HTTP/1.1 200 OK\r\nServer: loopscope\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                      "Content-Length: 18446744073709551615\r\nConnection: keep-alive\r\n\r\n");
}

static ResponseHead headForRow(int row)
{
    ResponseHead head;
    head.date = kDate;
    switch (row) {
    case 0:
        head.contentType = "text/html; charset=utf-8";
        head.contentLength = 1234;
        head.lastModified = 1;
        head.acceptRanges = true;
        break;
    case 1:
        head.status = 206;
        head.contentType = "image/png";
        head.contentLength = 100;
        head.lastModified = kRfcExample;
        head.contentRange = "bytes 0-99/1000";
        head.acceptRanges = true;
        head.keepAlive = false;
        break;
    case 2:
        head.status = 301;
        head.contentType = "text/html; charset=utf-8";
        head.location = "/docs/";
        break;
    case 3:
        head.status = 405;
        head.allowGetHead = true;
        head.keepAlive = false;
        break;
    case 4:
        head.status = 416;
        head.contentRange = "bytes */1000";
        break;
    case 5:
        head.contentLength = std::numeric_limits<std::uint64_t>::max();
        break;
    }
    return head;
}

void TstResponse::responseHead()
{
    QFETCH(int, row);
    QFETCH(QByteArray, expected);
    std::string out;
    appendResponseHead(out, headForRow(row));
    QCOMPARE(QByteArray::fromStdString(out), expected);
}

// The server builds the head into a reused buffer, possibly after other bytes.
void TstResponse::responseHeadAppends()
{
    std::string out = "previous";
    appendResponseHead(out, headForRow(3));
    QVERIFY(out.starts_with("previousHTTP/1.1 405 "));
    QVERIFY(out.ends_with("\r\n\r\n"));
}

void TstResponse::responseHeadWithoutDate()
{
    std::string out;
    ResponseHead head;
    appendResponseHead(out, head);
    const QByteArray text = QByteArray::fromStdString(out);
    const QRegularExpression date(QStringLiteral("\r\nDate: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} "
                                                 "\\d{2}:\\d{2}:\\d{2} GMT\r\n"));
    QVERIFY2(date.match(QString::fromLatin1(text)).hasMatch(), text.constData());
}

void TstResponse::errorBodies_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("title");
    QTest::newRow("400") << 400 << QByteArray("400 Bad Request");
    QTest::newRow("404") << 404 << QByteArray("404 Not Found");
    QTest::newRow("405") << 405 << QByteArray("405 Method Not Allowed");
    QTest::newRow("505") << 505 << QByteArray("505 HTTP Version Not Supported");
}

void TstResponse::errorBodies()
{
    QFETCH(int, status);
    QFETCH(QByteArray, title);
    const QByteArray body = QByteArray::fromStdString(errorBody(status));
    QVERIFY(body.startsWith("<!DOCTYPE html>"));
    QVERIFY(body.contains("<title>" + title + "</title>"));
    QVERIFY(body.contains("<h1>" + title + "</h1>"));
    QVERIFY(body.endsWith("</html>\n"));
}

QTEST_GUILESS_MAIN(TstResponse)
#include "tst_response.moc"
