import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmButton, PageHeader, TableRegion } from './ui';

function Row({ onConfirm }: { onConfirm: () => void }) {
  const [pending, setPending] = useState(false);
  return (
    <TableRegion label="Categories">
      <ConfirmButton
        label="Delete"
        name="Delete Animation"
        question="Delete “Animation”?"
        confirmLabel="Delete"
        pending={pending}
        onConfirm={() => {
          setPending(true);
          onConfirm();
        }}
      />
    </TableRegion>
  );
}

describe('ConfirmButton', () => {
  it('keeps focus on the table once confirmed, not lost to the page', async () => {
    const onConfirm = vi.fn();
    const user = userEvent.setup();
    render(<Row onConfirm={onConfirm} />);
    await user.click(screen.getByRole('button', { name: 'Delete Animation' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Delete' }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));

    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(screen.getByRole('region', { name: 'Categories' }));
  });

  it('goes back to its button after Cancel', async () => {
    const user = userEvent.setup();
    render(<Row onConfirm={vi.fn()} />);
    await user.click(screen.getByRole('button', { name: 'Delete Animation' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Delete Animation' }));
  });

  it('goes to the page’s heading when it is in no table', async () => {
    const user = userEvent.setup();
    render(
      <>
        <PageHeader title="Central Station" />
        <ConfirmButton label="Delete video" question="Delete “Central Station”?" confirmLabel="Delete" onConfirm={vi.fn()} />
      </>,
    );
    await user.click(screen.getByRole('button', { name: 'Delete video' }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Central Station' }));
  });
});
