// Loading, empty and error states, the same on every page.
import { Alert, Button, Empty, Spin } from 'antd';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { useI18n } from '../i18n';

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const e = error as ApiError | Error;
  const status = e instanceof ApiError ? e.status : undefined;
  const message = e instanceof ApiError && e.status === 401 ? t('tokenWrong') : (e?.message ?? String(error));
  return (
    <Alert
      type="error"
      showIcon
      data-testid="error-state"
      message={`${t('errorTitle')}${status ? ` (${status})` : ''}`}
      description={message}
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('retry')}
          </Button>
        ) : undefined
      }
    />
  );
}

// Renders children once data is there; a spinner, an empty notice or the error otherwise. A 401 is the token
// dialog's to explain: behind it each card only waits, so the message appears once.
export function QueryState({
  isLoading,
  error,
  isEmpty,
  onRetry,
  children,
  minHeight = 120,
}: {
  isLoading: boolean;
  error: unknown;
  isEmpty?: boolean;
  onRetry?: () => void;
  children: ReactNode;
  minHeight?: number;
}) {
  const { t } = useI18n();
  if (error instanceof ApiError && error.status === 401) {
    return <div className="state-box" style={{ minHeight }} data-testid="auth-wait" />;
  }
  if (error) return <ErrorState error={error} onRetry={onRetry} />;
  if (isLoading) {
    return (
      <div className="state-box" style={{ minHeight }} data-testid="loading-state">
        <Spin tip={t('loading')}>
          <div style={{ width: 80, height: 40 }} />
        </Spin>
      </div>
    );
  }
  if (isEmpty) {
    return (
      <div className="state-box" style={{ minHeight }} data-testid="empty-state">
        <Empty description={t('empty')} />
      </div>
    );
  }
  return <>{children}</>;
}
