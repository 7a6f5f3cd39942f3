// openBeneath: nothing outside the document root can be opened, through openat2 or through the
// real-path fallback. Every case runs through both.
//
// The tree each test builds (in a QTemporaryDir):
//   <tmp>/canary.txt                  one level above the root: must never be opened
//   <tmp>/root/index.html
//   <tmp>/root/sub/page.html
//   <tmp>/root/link-inside     -> sub/page.html      (stays in the root: followed)
//   <tmp>/root/dir-link-inside -> sub                (stays in the root: followed)
//   <tmp>/root/link-outside    -> ../canary.txt      (leaves the root: refused)
//   <tmp>/root/link-absolute   -> <tmp>/canary.txt   (absolute: refused)
//   <tmp>/root/dir-link-up     -> ..                 (a directory outside: refused)
//   <tmp>/root/link-proc       -> /proc/self/root    (magic link: refused)
#include "http/safe_open.h"
#include "http/safe_open_fallback.h"
#include "http/target.h"

#include <QtTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

using namespace loopscope;

namespace {

using OpenFunction = int (*)(int, std::string_view, int);

struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const FileId&) const = default;
};

FileId idOfFd(int fd)
{
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return {};
    return {st.st_dev, st.st_ino};
}

FileId idOfPath(const QString& path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return {st.st_dev, st.st_ino};
}

bool writeFile(const QString& path, const QByteArray& content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

bool makeSymlink(const QByteArray& target, const QString& link)
{
    return ::symlink(target.constData(), QFile::encodeName(link).constData()) == 0;
}

} // namespace

class TstSafeOpen : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void opens_data();
    void opens();
    void traversalPayloadsNeverReachTheCanary_data();
    void traversalPayloadsNeverReachTheCanary();

private:
    void addOpenRows(const char* path, const QByteArray& relPath, int expectedErrno);
    int openWith(const QByteArray& function, const QByteArray& relPath, int flags);

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_root;
    int m_rootFd = -1;
    FileId m_canary;
};

void TstSafeOpen::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    const QString top = m_tmp->path();
    m_root = top + "/root";
    QVERIFY(QDir().mkpath(m_root + "/sub"));
    QVERIFY(writeFile(top + "/canary.txt", "secret"));
    QVERIFY(writeFile(m_root + "/index.html", "<h1>home</h1>"));
    QVERIFY(writeFile(m_root + "/sub/page.html", "page"));
    QVERIFY(makeSymlink("sub/page.html", m_root + "/link-inside"));
    QVERIFY(makeSymlink("sub", m_root + "/dir-link-inside"));
    QVERIFY(makeSymlink("../canary.txt", m_root + "/link-outside"));
    QVERIFY(makeSymlink(QFile::encodeName(top + "/canary.txt"), m_root + "/link-absolute"));
    QVERIFY(makeSymlink("..", m_root + "/dir-link-up"));
    QVERIFY(makeSymlink("/proc/self/root", m_root + "/link-proc"));
    m_rootFd = ::open(QFile::encodeName(m_root).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    QVERIFY(m_rootFd >= 0);
    m_canary = idOfPath(top + "/canary.txt");
    QVERIFY(m_canary.inode != 0);
}

void TstSafeOpen::cleanup()
{
    if (m_rootFd >= 0)
        ::close(m_rootFd);
    m_rootFd = -1;
    m_tmp.reset();
}

int TstSafeOpen::openWith(const QByteArray& function, const QByteArray& relPath, int flags)
{
    const OpenFunction open = function == "openat2" ? &openBeneath : &detail::openBeneathByRealPath;
    return open(m_rootFd, std::string_view(relPath.constData(), relPath.size()), flags);
}

void TstSafeOpen::addOpenRows(const char* name, const QByteArray& relPath, int expectedErrno)
{
    for (const char* function : {"openat2", "fallback"})
        QTest::addRow("%s (%s)", name, function) << QByteArray(function) << relPath << expectedErrno;
}

void TstSafeOpen::opens_data()
{
    QTest::addColumn<QByteArray>("function");
    QTest::addColumn<QByteArray>("relPath");
    QTest::addColumn<int>("expectedErrno"); // 0: opens a file inside the root

    addOpenRows("file", "index.html", 0);
    addOpenRows("nested file", "sub/page.html", 0);
    addOpenRows("root itself", "", 0);
    addOpenRows("directory", "sub", 0);
    addOpenRows("symlink inside", "link-inside", 0);
    addOpenRows("through directory symlink inside", "dir-link-inside/page.html", 0);
    addOpenRows("missing", "nope.html", ENOENT);
    addOpenRows("file as directory", "index.html/x", ENOTDIR);
    addOpenRows("parent", "../canary.txt", EXDEV);
    addOpenRows("parent after descent", "sub/../../canary.txt", EXDEV);
    addOpenRows("absolute path", "/etc/passwd", EXDEV);
    addOpenRows("symlink outside", "link-outside", EXDEV);
    addOpenRows("absolute symlink", "link-absolute", EXDEV);
    addOpenRows("directory symlink outside", "dir-link-up/canary.txt", EXDEV);
    addOpenRows("magic link", "link-proc/etc/passwd", EXDEV);
}

void TstSafeOpen::opens()
{
    QFETCH(QByteArray, function);
    QFETCH(QByteArray, relPath);
    QFETCH(int, expectedErrno);
    const int fd = openWith(function, relPath, O_RDONLY);
    if (fd >= 0) {
        const FileId id = idOfFd(fd);
        QVERIFY(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        ::close(fd);
        QVERIFY(!(id == m_canary));
    }
    if (expectedErrno == 0) {
        QVERIFY2(fd >= 0, qPrintable(QString::fromLocal8Bit(strerror(-fd))));
    } else if (expectedErrno == EXDEV) {
        // Escapes fail: EXDEV from RESOLVE_BENEATH and from the real-path check; the kernel may
        // report a magic link as ELOOP.
        QVERIFY2(fd == -EXDEV || fd == -ELOOP || fd == -EACCES, qPrintable(QString::number(fd)));
    } else {
        QCOMPARE(fd, -expectedErrno);
    }
}

// Every payload of the public traversal lists (PayloadsAllTheThings), decoded as the server
// decodes a request target and opened as it opens files: the canary one level above the root
// is never opened, and nothing that is opened lies outside the root.
void TstSafeOpen::traversalPayloadsNeverReachTheCanary_data()
{
    QTest::addColumn<QString>("list");
    const QDir dir(QStringLiteral(LOOPSCOPE_SHARED_TESTDATA "/traversal"));
    const QStringList lists = dir.entryList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name);
    if (lists.isEmpty())
        QSKIP("no traversal payload lists in " LOOPSCOPE_SHARED_TESTDATA "/traversal");
    for (const QString& name : lists)
        QTest::newRow(qPrintable(name)) << dir.filePath(name);
}

void TstSafeOpen::traversalPayloadsNeverReachTheCanary()
{
    QFETCH(QString, list);
    QFile file(list);
    QVERIFY(file.open(QIODevice::ReadOnly));
    int payloads = 0;
    int opened = 0;
    DecodedTarget decoded;
    while (!file.atEnd()) {
        QByteArray payload = file.readLine();
        while (payload.endsWith('\n') || payload.endsWith('\r'))
            payload.chop(1);
        if (payload.isEmpty())
            continue;
        payload.replace("{FILE}", "canary.txt");
        // A payload is what a client puts after the host; targets start with '/'.
        const QByteArray target = payload.startsWith('/') ? payload : "/" + payload;
        ++payloads;
        const char* error = nullptr;
        if (!decodeTargetPath(std::string_view(target.constData(), target.size()), decoded, error))
            continue;
        const std::string_view relPath = std::string_view(decoded.path).substr(1);
        for (const OpenFunction open : {&openBeneath, &detail::openBeneathByRealPath}) {
            const int fd = open(m_rootFd, relPath, O_RDONLY);
            if (fd < 0)
                continue;
            ++opened;
            const FileId id = idOfFd(fd);
            ::close(fd);
            QVERIFY2(!(id == m_canary), target.constData());
            // The only files under the root are ours: whatever opened must be one of them.
            const QFileInfo resolved(m_root + '/' + QString::fromUtf8(relPath.data(), qsizetype(relPath.size())));
            QVERIFY2(resolved.canonicalFilePath().startsWith(QFileInfo(m_root).canonicalFilePath()),
                     target.constData());
        }
    }
    QVERIFY(payloads > 0);
    qInfo("%d payloads, %d opens inside the root", payloads, opened);
}

QTEST_GUILESS_MAIN(TstSafeOpen)
#include "tst_safe_open.moc"
