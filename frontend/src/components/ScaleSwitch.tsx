// The two-way scale switch of a chart (Dashboard: linear or log, Heatmap: full or clipped colours), kept in the URL's
// `scale` parameter: the first option is the default and leaves the parameter out.
import { Segmented } from 'antd';

export interface ScaleOption {
  value: string;
  label: string;
}

export interface ScaleSwitchProps {
  testId: string;
  scale: string | null; // the URL's `scale`
  options: [ScaleOption, ScaleOption]; // the default first
  onChange: (scale: string | undefined) => void; // undefined for the default
}

export default function ScaleSwitch({ testId, scale, options: [plain, other], onChange }: ScaleSwitchProps) {
  return (
    <Segmented
      size="small"
      data-testid={testId}
      value={scale === other.value ? other.value : plain.value}
      options={[plain, other]}
      onChange={(v) => onChange(v === other.value ? other.value : undefined)}
    />
  );
}
