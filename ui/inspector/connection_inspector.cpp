#include "inspector/connection_inspector.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace loopscope {

ConnectionInspector::ConnectionInspector(QWidget* parent)
    : QDialog(parent)
    , m_title(new QLabel(this))
    , m_table(new QTableView(this))
{
    setModal(false);
    setWindowTitle(tr("Connection"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    m_table->setModel(&m_records);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    // Fixed row heights: the view never measures rows, whatever their number.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_table);
    resize(900, 480);
}

void ConnectionInspector::showConnection(const TraceStore& store, const TimelineModel& model, quint32 conn)
{
    m_records.load(store, model, conn);
    setWindowTitle(tr("Connection %1").arg(conn));
    m_title->setText(m_records.summaryText());
    m_table->resizeColumnsToContents();
    show();
    raise();
    activateWindow();
}

QString ConnectionInspector::summaryText() const
{
    return m_title->text();
}

} // namespace loopscope
