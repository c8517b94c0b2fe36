// Operations: every consumer the platform runs, with the events it set aside (dead letters) and
// how many wait to be sent back. Read from the consumers' topics on each visit, never cached.

import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { operations } from '../../shared/api';
import { Badge, LoadError, Loading, PageHeader, TableRegion } from '../ui';
import { RedriveButton } from './Redrive';

export default function DeadLettersPage() {
  const query = useQuery({ queryKey: ['dead-letters'], queryFn: operations.consumers, staleTime: 0 });
  return (
    <>
      <PageHeader title="Dead letters">
        <button type="button" onClick={() => void query.refetch()} disabled={query.isFetching}>
          Refresh
        </button>
      </PageHeader>
      <p className="cf-muted">
        What each consumer could not handle is set aside with the reason, and the consumer carries on. Once the cause is
        fixed, re-drive the letters: the consumer handles them again, in order.
      </p>
      {query.isPending ? (
        <Loading what="the consumers" />
      ) : query.isError ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <TableRegion label="Consumers">
          <table>
            <thead>
              <tr>
                <th scope="col">Consumer</th>
                <th scope="col">What it sets aside</th>
                <th scope="col">Dead letters</th>
                <th scope="col">Waiting</th>
                <th scope="col">
                  <span className="cf-visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((consumer) => (
                <tr key={consumer.name}>
                  <td>
                    <Link to={`/dead-letters/${encodeURIComponent(consumer.name)}`}>{consumer.name}</Link>
                  </td>
                  <td className="adm-wrap">{consumer.description}</td>
                  <td>{consumer.dead_letters}</td>
                  <td>
                    <Badge tone={consumer.waiting > 0 ? 'warn' : 'ok'}>{consumer.waiting}</Badge>
                  </td>
                  <td>
                    <RedriveButton consumer={consumer.name} waiting={consumer.waiting} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}
