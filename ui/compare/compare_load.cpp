#include "compare/compare_load.h"

#include <QCoreApplication>

namespace loopscope {

std::optional<LoadPlan> comparePlan(const CompareLoad& load, const LoadUrl& target, QString& error)
{
    if (load.durationSeconds <= 0) {
        error = QCoreApplication::translate("CompareLoad", "Give the comparison a duration of more than 0 seconds.");
        return std::nullopt;
    }
    std::string why;
    const auto paths = parsePathMix(load.paths, why);
    if (!paths) {
        error = QString::fromStdString(why);
        return std::nullopt;
    }
    LoadSettings s;
    s.clients = load.clients;
    s.rate = load.rate;
    s.keepAlive = load.keepAlive;
    s.slowReaders = load.slowReaders;
    s.slowHeaders = load.slowHeaders;
    s.timeoutMs = load.giveUpMs;
    s.requestsPerClient = load.requestsPerClient;
    s.paths = *paths;
    LoadPlan plan = singlePhasePlan(target, s, load.durationSeconds, "comparison");
    why = validate(plan);
    if (!why.empty()) {
        error = QString::fromStdString(why);
        return std::nullopt;
    }
    return plan;
}

QString modelCaption(ServerModel model)
{
    switch (model) {
    case ServerModel::EventLoop:
        return QCoreApplication::translate("CompareLoad", "eventloop — one thread serves every connection (epoll)");
    case ServerModel::Blocking:
        return QCoreApplication::translate("CompareLoad", "blocking — one connection at a time, the rest wait");
    case ServerModel::Threads:
        return QCoreApplication::translate("CompareLoad", "threads — one thread per connection");
    }
    return QString::fromLatin1(toString(model));
}

} // namespace loopscope
