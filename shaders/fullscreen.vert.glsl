// One triangle covering the viewport, generated from gl_VertexID (bind any VAO, draw 3 vertices).
#version 330 core
out vec2 uv;
void main() {
  vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  uv = corner;
  gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
