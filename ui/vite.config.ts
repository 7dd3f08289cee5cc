import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// The Tauri shell loads the built files from ui/dist; relative paths keep them working there.
export default defineConfig({
  plugins: [vue()],
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", target: "es2021", chunkSizeWarningLimit: 1024 },
  test: { environment: "happy-dom", include: ["src/**/*.spec.ts"] },
});
