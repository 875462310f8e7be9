// The app shell: navigation, language switch, the caller's name and role, API token dialog and the routes (/, /top,
// /heatmap, /anomalies, /anomalies/detail, /actions for admins).
import { Button, ConfigProvider, Layout, Menu, Result, Segmented, Space, Typography } from 'antd';
import { KeyOutlined } from '@ant-design/icons';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useEffect, useState } from 'react';
import { Link, Route, Routes, useLocation } from 'react-router-dom';
import TokenDialog from './components/TokenDialog';
import { useI18n, type Lang } from './i18n';
import { useRole } from './api/info';
import Actions from './pages/Actions';
import Anomalies from './pages/Anomalies';
import AnomalyDetail from './pages/AnomalyDetail';
import Dashboard from './pages/Dashboard';
import Heatmap from './pages/Heatmap';
import Top from './pages/Top';

function NotFound() {
  const { t } = useI18n();
  return <Result status="404" title="404" subTitle={t('notFound')} extra={<Link to="/">{t('navDashboard')}</Link>} />;
}

export default function App() {
  const { t, lang, setLang } = useI18n();
  const location = useLocation();
  const [tokenSignal, setTokenSignal] = useState(0);
  useEffect(() => {
    dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const who = useRole();
  const section = location.pathname.startsWith('/anomalies') ? '/anomalies' : location.pathname;
  const nav = [
    { key: '/', label: <Link to="/">{t('navDashboard')}</Link> },
    { key: '/top', label: <Link to="/top">{t('navTop')}</Link> },
    { key: '/heatmap', label: <Link to="/heatmap">{t('navHeatmap')}</Link> },
    { key: '/anomalies', label: <Link to="/anomalies">{t('navAnomalies')}</Link> },
    ...(who.atLeast('admin')
      ? [
          {
            key: '/actions',
            label: (
              <Link to="/actions" data-testid="nav-actions">
                {t('navActions')}
              </Link>
            ),
          },
        ]
      : []),
  ];
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { borderRadius: 4 } }}>
      <Layout className="app">
        <Layout.Header className="app-header">
          <Link to="/" className="brand">
            {t('appTitle')}
          </Link>
          <Menu theme="dark" mode="horizontal" selectedKeys={[section]} items={nav} className="app-nav" />
          <Space className="app-tools">
            {who.name && (
              <Typography.Text className="app-identity" data-testid="identity" data-role={who.role}>
                {t('roleOf', { name: who.name, role: who.role })}
              </Typography.Text>
            )}
            <Segmented
              size="small"
              data-testid="lang-switch"
              value={lang}
              options={[
                { label: '中文', value: 'zh' },
                { label: 'EN', value: 'en' },
              ]}
              onChange={(v) => setLang(v as Lang)}
            />
            <Button
              size="small"
              icon={<KeyOutlined />}
              aria-label={t('apiToken')}
              onClick={() => setTokenSignal((n) => n + 1)}
            />
          </Space>
        </Layout.Header>
        <Layout.Content className="app-content">
          <Routes>
            <Route path="/" element={<Dashboard />} />
            <Route path="/top" element={<Top />} />
            <Route path="/heatmap" element={<Heatmap />} />
            <Route path="/anomalies" element={<Anomalies />} />
            <Route path="/anomalies/detail" element={<AnomalyDetail />} />
            <Route path="/actions" element={<Actions />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Layout.Content>
        <TokenDialog openSignal={tokenSignal} />
      </Layout>
    </ConfigProvider>
  );
}
