// A user, token or channel as "id name", with a link to the new-api page that manages it when NEWAPI_URL is set.
import { ExportOutlined } from '@ant-design/icons';
import { Tooltip } from 'antd';
import { useGateway } from '../api/info';
import { useI18n } from '../i18n';
import { newApiLink, type Entity } from '../lib/newapi';

export default function EntityLabel({
  kind,
  id,
  name,
  hideId,
}: {
  kind: Entity;
  id: number | string;
  name?: string;
  hideId?: boolean; // when an id column stands beside it
}) {
  const { t } = useI18n();
  const href = newApiLink(useGateway().newapiUrl, kind);
  return (
    <span className="entity" data-testid={`entity-${kind}`}>
      {hideId ? null : <span className="entity-id">{id}</span>}
      {name ? <span className="entity-name">{hideId ? name : ` ${name}`}</span> : null}
      {href ? (
        <Tooltip title={t('openInNewApi')}>
          <a
            href={href}
            target="_blank"
            rel="noreferrer"
            className="entity-link"
            data-testid={`newapi-link-${kind}`}
            onClick={(e) => e.stopPropagation()}
          >
            {' '}
            <ExportOutlined />
          </a>
        </Tooltip>
      ) : null}
    </span>
  );
}
