// Tables: TanStack Table with sortable headers, pagination, row clicks and a CSV download of all rows (stable field
// names as the header). Pages own their columns.
import { useMemo, useState } from 'react';
import { Button, Pagination, Space, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import {
  flexRender,
  getCoreRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from '@tanstack/react-table';
import { downloadCsv, toCsv, type CsvValue } from '../lib/csv';
import { useRole } from '../api/info';
import { useI18n } from '../i18n';

// Column definitions with an id (the CSV header) and, where the cell is not the raw value, the CSV value.
export type Column<T> = ColumnDef<T, unknown> & {
  id: string;
  meta?: { csv?: (row: T) => CsvValue; numeric?: boolean };
};

export function tableCsv<T>(columns: Column<T>[], rows: T[]): string {
  const header = columns.map((c) => c.id);
  const body = rows.map((row) =>
    columns.map((c) => {
      if (c.meta?.csv) return c.meta.csv(row);
      const accessor = (c as { accessorFn?: (r: T, i: number) => unknown }).accessorFn;
      if (accessor) return accessor(row, 0) as CsvValue;
      const key = (c as { accessorKey?: string }).accessorKey ?? c.id;
      return (row as Record<string, unknown>)[key] as CsvValue;
    }),
  );
  return toCsv(header, body);
}

export default function DataTable<T>({
  columns,
  data,
  csvName,
  onRowClick,
  pageSize = 20,
  testId,
  title,
}: {
  columns: Column<T>[];
  data: T[];
  csvName: string;
  onRowClick?: (row: T) => void;
  pageSize?: number;
  testId?: string;
  title?: React.ReactNode;
}) {
  const { t } = useI18n();
  const canExport = useRole().atLeast('analyst'); // CSV exports are an analyst's (README "Roles")
  const [sorting, setSorting] = useState<SortingState>([]);
  const [pagination, setPagination] = useState({ pageIndex: 0, pageSize });
  const table = useReactTable({
    data,
    columns,
    state: { sorting, pagination },
    onSortingChange: setSorting,
    onPaginationChange: setPagination,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
  });
  // The CSV follows the table's sort order and holds every row, not just this page.
  const sortedRows = table.getSortedRowModel().rows;
  const csv = useMemo(
    () => () =>
      tableCsv(
        columns,
        sortedRows.map((r) => r.original),
      ),
    [columns, sortedRows],
  );

  return (
    <div className="data-table" data-testid={testId}>
      <Space className="data-table-bar" wrap>
        {title}
        <Typography.Text type="secondary" data-testid="row-count">
          {data.length} {t('rows')}
        </Typography.Text>
        {canExport && (
          <Button
            size="small"
            icon={<DownloadOutlined />}
            data-testid="csv-button"
            disabled={data.length === 0}
            onClick={() => downloadCsv(`${csvName}.csv`, csv())}
          >
            {t('exportCsv')}
          </Button>
        )}
      </Space>
      <div className="table-scroll">
        <table>
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const sorted = h.column.getIsSorted();
                  const numeric = (h.column.columnDef as Column<T>).meta?.numeric;
                  return (
                    <th
                      key={h.id}
                      className={`${h.column.getCanSort() ? 'sortable' : ''} ${numeric ? 'num' : ''}`}
                      onClick={h.column.getToggleSortingHandler()}
                      aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    >
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      {sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr
                key={row.id}
                className={onRowClick ? 'clickable' : ''}
                onClick={onRowClick ? () => onRowClick(row.original) : undefined}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} className={(cell.column.columnDef as Column<T>).meta?.numeric ? 'num' : ''}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.length > pagination.pageSize && (
        <Pagination
          size="small"
          className="data-table-pages"
          current={pagination.pageIndex + 1}
          pageSize={pagination.pageSize}
          total={data.length}
          showSizeChanger={false}
          onChange={(page) => setPagination((p) => ({ ...p, pageIndex: page - 1 }))}
        />
      )}
    </div>
  );
}
