// Tests of the scale switch: the URL's value selects an option, anything else is the default, and choosing the
// default clears the parameter.
import { fireEvent, render, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import ScaleSwitch from './ScaleSwitch';

const OPTIONS: [{ value: string; label: string }, { value: string; label: string }] = [
  { value: 'linear', label: 'Linear' },
  { value: 'log', label: 'Log' },
];

function selected(container: HTMLElement) {
  return container.querySelector('.ant-segmented-item-selected')?.textContent;
}

describe('ScaleSwitch', () => {
  it('shows the URL value, and the default for a missing or unknown one', () => {
    const onChange = vi.fn();
    const { container, rerender } = render(
      <ScaleSwitch testId="s" scale="log" options={OPTIONS} onChange={onChange} />,
    );
    expect(selected(container)).toBe('Log');
    rerender(<ScaleSwitch testId="s" scale={null} options={OPTIONS} onChange={onChange} />);
    expect(selected(container)).toBe('Linear');
    rerender(<ScaleSwitch testId="s" scale="clip" options={OPTIONS} onChange={onChange} />);
    expect(selected(container)).toBe('Linear');
  });
  it('sets the other value, and clears the parameter for the default', () => {
    const onChange = vi.fn();
    const { container, rerender } = render(
      <ScaleSwitch testId="s" scale={null} options={OPTIONS} onChange={onChange} />,
    );
    fireEvent.click(within(container).getByText('Log'));
    expect(onChange).toHaveBeenLastCalledWith('log');
    rerender(<ScaleSwitch testId="s" scale="log" options={OPTIONS} onChange={onChange} />);
    fireEvent.click(within(container).getByText('Linear'));
    expect(onChange).toHaveBeenLastCalledWith(undefined);
  });
});
