import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// The station serves the built files under /console/ and the JSON API under /console/api on the
// same origin; `npm run dev` proxies the API to a station on this machine (its self-signed TLS).
export default defineConfig({
  plugins: [vue()],
  base: "/console/",
  clearScreen: false,
  server: {
    port: 5174,
    strictPort: true,
    proxy: { "/console/api": { target: "https://localhost:8443", secure: false } },
  },
  build: { outDir: "dist", target: "es2021", chunkSizeWarningLimit: 1024 },
  test: { environment: "happy-dom", include: ["src/**/*.spec.ts"] },
});
