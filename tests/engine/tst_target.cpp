// decodeTargetPath: a table of targets and what they decode to (or why they are refused).
#include "http/target.h"

#include <QtTest>

using namespace loopscope;

class TstTarget : public QObject {
    Q_OBJECT
private slots:
    void decodes_data();
    void decodes();
    void refuses_data();
    void refuses();
    void reusesOutputAndClearsIt();
};

void TstTarget::decodes_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("host");

    QTest::newRow("root") << QByteArray("/") << QByteArray("/") << QByteArray();
    QTest::newRow("plain file") << QByteArray("/index.html") << QByteArray("/index.html") << QByteArray();
    QTest::newRow("query stripped") << QByteArray("/a/b.css?v=1&x=/../..") << QByteArray("/a/b.css") << QByteArray();
    QTest::newRow("fragment stripped") << QByteArray("/a#top") << QByteArray("/a") << QByteArray();
    QTest::newRow("empty query") << QByteArray("/a?") << QByteArray("/a") << QByteArray();
    QTest::newRow("percent space") << QByteArray("/a%20b/c") << QByteArray("/a b/c") << QByteArray();
    QTest::newRow("lower-case hex") << QByteArray("/%7euser") << QByteArray("/~user") << QByteArray();
    QTest::newRow("encoded query mark") << QByteArray("/a%3fb") << QByteArray("/a?b") << QByteArray();
    QTest::newRow("utf-8 encoded") << QByteArray("/caf%C3%A9.txt") << QByteArray("/caf\xc3\xa9.txt") << QByteArray();
    QTest::newRow("utf-8 raw") << QByteArray("/caf\xc3\xa9.txt") << QByteArray("/caf\xc3\xa9.txt") << QByteArray();
    QTest::newRow("four-byte utf-8") << QByteArray("/%F0%9F%98%80") << QByteArray("/\xf0\x9f\x98\x80") << QByteArray();
    QTest::newRow("dot-dot inside") << QByteArray("/sub/../index.html") << QByteArray("/index.html") << QByteArray();
    QTest::newRow("dot segments") << QByteArray("/a/./b/../c") << QByteArray("/a/c") << QByteArray();
    QTest::newRow("trailing slash kept") << QByteArray("/docs/") << QByteArray("/docs/") << QByteArray();
    QTest::newRow("trailing dot-dot is a directory") << QByteArray("/a/b/..") << QByteArray("/a/") << QByteArray();
    QTest::newRow("trailing dot is a directory") << QByteArray("/a/.") << QByteArray("/a/") << QByteArray();
    QTest::newRow("double slashes merged") << QByteArray("//a///b//") << QByteArray("/a/b/") << QByteArray();
    QTest::newRow("encoded slash is a slash") << QByteArray("/a%2fb") << QByteArray("/a/b") << QByteArray();
    QTest::newRow("encoded dots inside") << QByteArray("/a/%2e%2e/b") << QByteArray("/b") << QByteArray();
    QTest::newRow("dot-dot back to root") << QByteArray("/a/..") << QByteArray("/") << QByteArray();
    QTest::newRow("three dots is a name") << QByteArray("/.../x") << QByteArray("/.../x") << QByteArray();
    QTest::newRow("dot file") << QByteArray("/.well-known/x") << QByteArray("/.well-known/x") << QByteArray();
    QTest::newRow("double encoding decoded once") << QByteArray("/%252e%252e/x") << QByteArray("/%2e%2e/x") << QByteArray();
    QTest::newRow("absolute form") << QByteArray("http://example.com/a/b?q") << QByteArray("/a/b") << QByteArray("example.com");
    QTest::newRow("absolute form with port") << QByteArray("http://h:8080/") << QByteArray("/") << QByteArray("h:8080");
    QTest::newRow("absolute form https upper case") << QByteArray("HTTPS://h/x") << QByteArray("/x") << QByteArray("h");
    QTest::newRow("absolute form without path") << QByteArray("http://h") << QByteArray("/") << QByteArray("h");
    QTest::newRow("absolute form query only") << QByteArray("http://h?x") << QByteArray("/") << QByteArray("h");
    QTest::newRow("absolute form dot-dot inside") << QByteArray("http://h/a/../b") << QByteArray("/b") << QByteArray("h");
}

void TstTarget::decodes()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, host);
    DecodedTarget out;
    const char* error = nullptr;
    const bool ok = decodeTargetPath(std::string_view(target.constData(), target.size()), out, error);
    QVERIFY2(ok, error);
    QCOMPARE(QByteArray::fromStdString(out.path), path);
    QCOMPARE(QByteArray::fromStdString(out.host), host);
}

void TstTarget::refuses_data()
{
    QTest::addColumn<QByteArray>("target");

    QTest::newRow("dot-dot above root") << QByteArray("/../etc/passwd");
    QTest::newRow("dot-dot above root later") << QByteArray("/a/../../etc/passwd");
    QTest::newRow("bare dot-dot") << QByteArray("/..");
    QTest::newRow("encoded dot-dot") << QByteArray("/%2e%2e/etc/passwd");
    QTest::newRow("upper-case encoded dot-dot") << QByteArray("/%2E%2E/x");
    QTest::newRow("half-encoded dot-dot") << QByteArray("/.%2e/x");
    QTest::newRow("dot-dot encoded slash") << QByteArray("/..%2fetc%2fpasswd");
    QTest::newRow("encoded slash dot-dot") << QByteArray("/a%2f..%2f..%2fx");
    QTest::newRow("absolute form climbing") << QByteArray("http://h/../x");
    QTest::newRow("raw backslash") << QByteArray("/a\\b");
    QTest::newRow("backslash dot-dot") << QByteArray("/..\\x");
    QTest::newRow("encoded backslash") << QByteArray("/..%5cx");
    QTest::newRow("encoded backslash upper") << QByteArray("/a%5Cb");
    QTest::newRow("encoded NUL") << QByteArray("/a%00.html");
    QTest::newRow("lone percent") << QByteArray("/a%");
    QTest::newRow("one hex digit") << QByteArray("/a%4");
    QTest::newRow("percent before query") << QByteArray("/a%4?x");
    QTest::newRow("not hex") << QByteArray("/a%zz");
    QTest::newRow("encoded newline") << QByteArray("/a%0ab");
    QTest::newRow("encoded DEL") << QByteArray("/a%7f");
    QTest::newRow("raw tab") << QByteArray("/a\tb");
    QTest::newRow("raw space") << QByteArray("/a b");
    QTest::newRow("raw DEL") << QByteArray("/a\x7f");
    QTest::newRow("control byte in query") << QByteArray("/a?\x01");
    QTest::newRow("overlong dot 2 bytes") << QByteArray("/%c0%ae%c0%ae/x");
    QTest::newRow("overlong dot 3 bytes") << QByteArray("/%e0%80%ae%e0%80%ae/x");
    QTest::newRow("overlong slash") << QByteArray("/..%c0%afx");
    QTest::newRow("overlong backslash") << QByteArray("/..%c1%9cx");
    QTest::newRow("lone continuation byte") << QByteArray("/%80");
    QTest::newRow("truncated sequence") << QByteArray("/%e2%82");
    QTest::newRow("raw invalid byte") << QByteArray("/\xa0");
    QTest::newRow("surrogate") << QByteArray("/%ed%a0%80");
    QTest::newRow("above U+10FFFF") << QByteArray("/%f4%90%80%80");
    QTest::newRow("asterisk form") << QByteArray("*");
    QTest::newRow("relative path") << QByteArray("index.html");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("other scheme") << QByteArray("ftp://h/x");
    QTest::newRow("absolute form without host") << QByteArray("http:///x");
    QTest::newRow("absolute form with userinfo") << QByteArray("http://user@h/x");
}

void TstTarget::refuses()
{
    QFETCH(QByteArray, target);
    DecodedTarget out;
    out.path = "stale";
    const char* error = nullptr;
    QVERIFY(!decodeTargetPath(std::string_view(target.constData(), target.size()), out, error));
    QVERIFY(error != nullptr && *error != '\0');
    QVERIFY(out.path.empty());
}

// The server keeps one DecodedTarget per connection: a second decode must not see the first.
void TstTarget::reusesOutputAndClearsIt()
{
    DecodedTarget out;
    const char* error = nullptr;
    QVERIFY(decodeTargetPath("http://first/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, error));
    QVERIFY(decodeTargetPath("/b", out, error));
    QCOMPARE(out.path, std::string("/b"));
    QCOMPARE(out.host, std::string());
}

QTEST_GUILESS_MAIN(TstTarget)
#include "tst_target.moc"
