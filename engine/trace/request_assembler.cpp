#include "trace/request_assembler.h"

namespace loopscope {

void AssembledRequest::start(const EventRecord& headersRead)
{
    method = headersRead.aux <= static_cast<std::uint32_t>(HttpMethod::Connect)
        ? static_cast<HttpMethod>(headersRead.aux)
        : HttpMethod::Other;
    number = headersRead.arg;
    target.clear();
    collecting = true;
    complete = false;
    truncated = false;
}

bool AssembledRequest::addText(const EventRecord& text)
{
    if (!collecting)
        return false;
    const std::string_view piece = textOf(text);
    const std::size_t room = kMaxTargetBytes - target.size();
    if (piece.size() > room)
        truncated = true;
    target.append(piece.data(), piece.size() < room ? piece.size() : room);
    if ((text.aux & kTextLast) == 0)
        return false;
    collecting = false;
    complete = true;
    return true;
}

const char* AssembledRequest::methodName() const
{
    return toString(method);
}

std::string AssembledRequest::title() const
{
    std::string out = methodName();
    out += ' ';
    out += target;
    return out;
}

RequestAssembler::Step RequestAssembler::add(const EventRecord& record)
{
    switch (record.kind) {
    case EventKind::RequestHeadersRead:
        m_requests[record.conn].start(record);
        return Step::Started;
    case EventKind::RequestText: {
        const auto it = m_requests.find(record.conn);
        if (it == m_requests.end() || !it->second.collecting)
            return Step::Ignored;
        return it->second.addText(record) ? Step::Completed : Step::TextAdded;
    }
    case EventKind::ConnectionClosed:
        return m_requests.erase(record.conn) ? Step::Forgotten : Step::Ignored;
    default:
        return Step::Ignored;
    }
}

const AssembledRequest* RequestAssembler::find(std::uint32_t conn) const
{
    const auto it = m_requests.find(conn);
    return it == m_requests.end() ? nullptr : &it->second;
}

} // namespace loopscope
