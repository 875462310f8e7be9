// The API token dialog: opens when the API answers 401, says whether the token was missing or wrong, stores the new
// one in local storage and retries every query.
import { Alert, Button, Input, Modal, Space } from 'antd';
import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { getToken, onAuthRequired, setToken } from '../api/client';
import { useI18n } from '../i18n';

export default function TokenDialog({ openSignal }: { openSignal: number }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [wrong, setWrong] = useState(false);
  const [detail, setDetail] = useState('');
  const [value, setValue] = useState('');

  useEffect(
    () =>
      onAuthRequired(({ hadToken, message }) => {
        setWrong(hadToken);
        setDetail(message);
        setOpen(true);
      }),
    [],
  );
  useEffect(() => {
    if (openSignal > 0) {
      setWrong(false);
      setDetail('');
      setValue(getToken());
      setOpen(true);
    }
  }, [openSignal]);

  const save = () => {
    setToken(value.trim());
    setOpen(false);
    client.resetQueries();
  };

  return (
    <Modal
      open={open}
      title={t('tokenTitle')}
      onCancel={() => setOpen(false)}
      footer={
        <Space>
          <Button
            onClick={() => {
              setToken('');
              setValue('');
            }}
          >
            {t('tokenClear')}
          </Button>
          <Button type="primary" data-testid="token-save" onClick={save}>
            {t('tokenSave')}
          </Button>
        </Space>
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <Alert
          type={wrong ? 'error' : 'info'}
          showIcon
          data-testid="token-message"
          message={wrong ? t('tokenWrong') : t('tokenMissing')}
          description={detail ? `401: ${detail}` : undefined}
        />
        <Input.Password
          data-testid="token-input"
          placeholder={t('tokenPlaceholder')}
          value={value}
          autoFocus
          onChange={(e) => setValue(e.target.value)}
          onPressEnter={save}
        />
      </Space>
    </Modal>
  );
}
