// Vite build (output in dist/, served by newapi-exporter at /) and Vitest settings; `npm run dev` proxies the API.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const exporter = process.env.EXPORTER_URL || 'http://127.0.0.1:18080';

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': exporter, '/metrics': exporter } },
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks: {
          echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'],
          antd: ['antd'],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
